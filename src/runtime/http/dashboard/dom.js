// Tiny DOM helpers. Data only ever enters the page as text (textContent, attributes set
// one by one), never as HTML: task ids and error messages are user data.

/**
 * Creates an element: `el('td', { class: 'num', title: id }, 'text', child)`.
 * `class` and `text` are shortcuts; `style` takes an object of CSS properties, set through
 * the DOM (the page's Content-Security-Policy refuses `style` attributes); other props become
 * attributes; children are nodes or strings (added as text).
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key === 'style') Object.assign(node.style, value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Sets text only when it changed, so an unchanged page does not re-layout every second. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Makes `parent`'s children match `items`, keyed by `keyOf`. Existing rows are updated in
 * place and moved only when out of order, so a focused or half-confirmed button survives
 * the once-a-second refresh.
 */
export function syncChildren(parent, items, keyOf, create, update) {
  const existing = new Map();
  for (const child of parent.children) existing.set(child.dataset.key, child);
  items.forEach((item, index) => {
    const key = keyOf(item);
    let node = existing.get(key);
    existing.delete(key);
    if (!node) {
      node = create(item);
      node.dataset.key = key;
    }
    update(node, item);
    const at = parent.children[index];
    if (at !== node) parent.insertBefore(node, at ?? null);
  });
  for (const stale of existing.values()) stale.remove();
}

/** Tone of a pill: one of ok, warn, bad, muted (see style.css). */
export function setPill(node, text, tone) {
  setText(node, text);
  if (node.dataset.tone !== tone) node.dataset.tone = tone;
}
