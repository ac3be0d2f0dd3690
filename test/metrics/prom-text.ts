/** A sample of the Prometheus text format: name, labels, value. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromScrape {
  samples: PromSample[];
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  help: Map<string, string>;
  /** The value of one series (labels must match exactly those given, others ignored), or undefined. */
  get(name: string, labels?: Record<string, string>): number | undefined;
  /** Sum over every series of a name whose labels include the given ones. */
  sum(name: string, labels?: Record<string, string>): number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/y;

/**
 * Parses Prometheus text exposition format 0.0.4 strictly: every line must be a comment, blank,
 * or a valid sample, label values unescaped; anything else throws (so a malformed scrape fails).
 */
export function parsePromText(text: string): PromScrape {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const [i, line] of text.split('\n').entries()) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (m) (m[1] === 'TYPE' ? types : help).set(m[2]!, m[3]!);
      if (m && m[1] === 'TYPE' && !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]!)) throw new Error(`line ${i + 1}: bad TYPE ${m[3]}`);
      continue;
    }
    const m = LINE.exec(line);
    if (!m) throw new Error(`line ${i + 1}: not a sample: ${line}`);
    const labels: Record<string, string> = {};
    if (m[3]) {
      LABEL.lastIndex = 0;
      const body = m[3];
      while (LABEL.lastIndex < body.length) {
        const at = LABEL.lastIndex;
        const l = LABEL.exec(body);
        if (!l || LABEL.lastIndex === at) throw new Error(`line ${i + 1}: bad labels: ${body}`);
        labels[l[1]!] = l[2]!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
      }
    }
    const raw = m[4]!;
    // Prometheus parses values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
    const isNan = raw.toLowerCase() === 'nan';
    const value = /^\+?inf$/i.test(raw) ? Infinity : /^-inf$/i.test(raw) ? -Infinity : isNan ? NaN : Number(raw);
    if (Number.isNaN(value) && !isNan) throw new Error(`line ${i + 1}: bad value ${raw}`);
    samples.push({ name: m[1]!, labels, value });
  }
  const matches = (s: PromSample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    samples, types, help,
    get(name, labels = {}) {
      return samples.find((s) => s.name === name && matches(s, labels) && Object.keys(s.labels).length === Object.keys(labels).length)?.value;
    },
    sum(name, labels = {}) {
      return samples.filter((s) => s.name === name && matches(s, labels)).reduce((a, s) => a + s.value, 0);
    },
  };
}
