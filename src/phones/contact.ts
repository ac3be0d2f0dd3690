/** Contact header values of a REGISTER (RFC 3261 §20.10), split and read without throwing. */

export interface ContactSpec {
  /** The URI between <> (or the bare URI). */
  readonly uri: string;
  /** The `expires` parameter, or -1 when absent or unreadable. */
  readonly expires: number;
  readonly q: string;
}

export type ContactList = { readonly star: true } | { readonly star: false; readonly contacts: readonly ContactSpec[] } | null;

/** Splits every Contact value on commas outside <> and quotes; null when one is malformed. */
export function parseContacts(values: readonly string[]): ContactList {
  const parts: string[] = [];
  for (const v of values) {
    let depth = 0;
    let quoted = false;
    let start = 0;
    for (let i = 0; i < v.length; i++) {
      const c = v[i];
      if (c === '"' && v[i - 1] !== '\\') quoted = !quoted;
      else if (!quoted && c === '<') depth++;
      else if (!quoted && c === '>') depth--;
      else if (!quoted && depth === 0 && c === ',') {
        parts.push(v.slice(start, i));
        start = i + 1;
      }
    }
    parts.push(v.slice(start));
  }
  const items = parts.map((p) => p.trim()).filter((p) => p !== '');
  if (items.length === 1 && items[0] === '*') return { star: true };
  const contacts: ContactSpec[] = [];
  for (const item of items) {
    if (item === '*') return null;
    let uri: string;
    let params: string;
    const lt = item.indexOf('<');
    if (lt >= 0) {
      const gt = item.indexOf('>', lt);
      if (gt < 0) return null;
      uri = item.slice(lt + 1, gt).trim();
      params = item.slice(gt + 1);
    } else {
      const semi = item.indexOf(';');
      uri = (semi < 0 ? item : item.slice(0, semi)).trim();
      params = semi < 0 ? '' : item.slice(semi);
    }
    if (!/^sips?:[^\s]+$/i.test(uri)) return null;
    let expires = -1;
    let q = '';
    for (const p of params.split(';')) {
      const eq = p.indexOf('=');
      const k = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
      const val = eq < 0 ? '' : p.slice(eq + 1).trim();
      if (k === 'expires') expires = /^\d{1,10}$/.test(val) ? Number(val) : -1;
      else if (k === 'q') q = val;
    }
    contacts.push({ uri, expires, q });
  }
  return { star: false, contacts };
}
