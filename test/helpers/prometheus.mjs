// A strict reader of the Prometheus text exposition (format 0.0.4), so tests fail on any
// line a Prometheus server would refuse, and can look samples up by name and labels.
import * as assert from 'uvu/assert';

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"';
// Prometheus parses values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes `Nan`).
const VALUE = '(?:[-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|[nN][aA][nN]|[-+]?[iI][nN][fF])';
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})?[ ](${VALUE})(?:[ ]-?\\d+)?$`);
const SUFFIXES = { counter: [''], gauge: [''], histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'], untyped: [''] };

/**
 * Parses an exposition, asserting every line is a well-formed comment or sample and every
 * sample belongs to a family declared by a `# TYPE` line before it.
 * @returns {{ families: Map<string, string>, samples: Array<{ name: string, labels: Record<string, string>, value: number }> }}
 */
export function parseExposition(text) {
  const families = new Map();
  const samples = [];
  assert.ok(text.endsWith('\n'), 'the exposition must end with a newline');
  for (const line of text.slice(0, -1).split('\n')) {
    // Empty lines are allowed between families (prom-client writes one).
    if (line === '' || line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, name, type] = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line) ?? [];
      assert.ok(name, `malformed TYPE line: ${line}`);
      assert.not.ok(families.has(name), `family ${name} declared twice`);
      families.set(name, type);
      continue;
    }
    const match = SAMPLE.exec(line);
    assert.ok(match, `malformed sample line: ${JSON.stringify(line)}`);
    const [, name, labelText = '', value] = match;
    const family = [...families.entries()].find(([f, type]) => SUFFIXES[type].some((s) => `${f}${s}` === name));
    assert.ok(family, `sample ${name} has no # TYPE before it`);
    const labels = {};
    for (const [, key, raw] of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[key] = raw.replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    samples.push({ name, labels, value: /nan/i.test(value) ? NaN : Number(value.replace(/inf/i, 'Infinity')) });
  }
  return { families, samples };
}

/** The value of the one sample `name` whose labels include `labels`; undefined when none. */
export function sampleValue(parsed, name, labels = {}) {
  const hits = parsed.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(hits.length <= 1, `${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}
