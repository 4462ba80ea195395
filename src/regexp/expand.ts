// Go's Regexp.Expand, which ReplaceAllString applies to its replacement: `$name` or `${name}`
// is the text of that group (a number or a group name; the name is the longest run of letters,
// digits and `_`, so `$1x` is group "1x", not group 1 then "x"); `$$` is `$`; a group that does
// not exist or did not take part is ""; a `$` not followed by a valid reference stays as it is.

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;

/** `template` with its references replaced, for one match of `text` (Go's submatch indexes). */
export function expandTemplate(
  template: string,
  text: string,
  match: readonly number[],
  groupNames: ReadonlyMap<string, number>,
): string {
  let out = '';
  let rest = template;
  for (let dollar = rest.indexOf('$'); dollar !== -1; dollar = rest.indexOf('$')) {
    out += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const reference = readReference(rest);
    if (reference === null) {
      out += '$';
      continue;
    }
    rest = rest.slice(reference.length);
    const group = groupNumber(reference.name) ?? groupNames.get(reference.name);
    if (group !== undefined && 2 * group + 1 < match.length && match[2 * group] >= 0) {
      out += text.slice(match[2 * group], match[2 * group + 1]);
    }
  }
  return out + rest;
}

/** A leading `name` or `{name}` (after the `$`) and how many characters it spans. */
function readReference(text: string): { name: string; length: number } | null {
  const braced = text.startsWith('{');
  let end = braced ? 1 : 0;
  for (const char of text.slice(end)) {
    if (!NAME_CHAR.test(char)) break;
    end += char.length;
  }
  const name = text.slice(braced ? 1 : 0, end);
  if (name === '') return null;
  if (braced) {
    if (text[end] !== '}') return null;
    end += 1;
  }
  return { name, length: end };
}

/** The group a name of ASCII digits refers to (no leading zero, at most 9 digits, as Go). */
function groupNumber(name: string): number | null {
  if (!/^(0|[1-9][0-9]{0,8})$/.test(name)) return null;
  return Number(name);
}
