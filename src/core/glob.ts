/**
 * A glob as a whole-string, case-insensitive RegExp, with the usual set: `*` (any run; `**` is the
 * same, as names have no folders), `?` (one character), `[abc]`, `[a-z]`, `[!abc]` / `[^abc]`,
 * `{a,b,c}` (alternatives, which may hold globs, not nested braces) and `\` to take the next
 * character literally. An unclosed `[` or `{` is a literal character.
 */
export function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${translate(glob, false)}$`, 'i');
}

const SPECIAL = /[.+^${}()|[\]\\*?/]/g;
const lit = (c: string): string => c.replace(SPECIAL, '\\$&');

function translate(glob: string, inBraces: boolean): string {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\' && i + 1 < glob.length) out += lit(glob[++i]!);
    else if (c === '*') {
      while (glob[i + 1] === '*') i++;
      out += '.*';
    } else if (c === '?') out += '.';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negate = body[0] === '!' || body[0] === '^';
      if (negate) body = body.slice(1);
      out += `[${negate ? '^' : ''}${body.replace(/[\\\]^[]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{' && !inBraces) {
      const end = glob.indexOf('}', i + 1);
      if (end === -1) {
        out += '\\{';
        continue;
      }
      out += `(?:${glob.slice(i + 1, end).split(',').map((alt) => translate(alt, true)).join('|')})`;
      i = end;
    } else out += lit(c);
  }
  return out;
}
