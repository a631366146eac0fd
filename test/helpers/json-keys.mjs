// The keys of a raw JSON log line, read from its text: JSON.parse silently keeps only the
// last of two equal keys, so a repeated key is visible only here.

/**
 * The top-level keys of one JSON object's text, in order, duplicates kept.
 *
 * @example
 * rawKeys('{"a":1,"b":{"a":2},"a":3}') // ['a', 'b', 'a']
 */
export function rawKeys(raw) {
  const keys = [];
  let depth = 0;
  for (let i = 0; i < raw.length; i += 1) {
    const c = raw[i];
    if (c === '"') {
      const end = closingQuote(raw, i);
      if (depth === 1 && raw[end + 1] === ':') keys.push(JSON.parse(raw.slice(i, end + 1)));
      i = end;
    } else if (c === '{' || c === '[') depth += 1;
    else if (c === '}' || c === ']') depth -= 1;
  }
  return keys;
}

/** The keys that appear more than once at the top level of one JSON line. */
export function repeatedKeys(raw) {
  const keys = rawKeys(raw);
  return keys.filter((k, i) => keys.indexOf(k) !== i);
}

function closingQuote(raw, start) {
  for (let i = start + 1; i < raw.length; i += 1) {
    if (raw[i] === '\\') i += 1;
    else if (raw[i] === '"') return i;
  }
  return raw.length;
}
