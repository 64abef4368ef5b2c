/** URL schemes and the "www." prefix GitHub-flavoured markdown turns into links on its own. */
const AUTOLINK = /\b(https?|ftp|mailto|www)(:|\.)/gi;

/**
 * Record text placed into markdown cannot add links, HTML or emphasis. GitHub-flavoured markdown
 * (what CDS clients render) also links bare URLs and "www." names: an invisible word joiner (U+2060) after the
 * scheme or "www" keeps the text as it reads but no longer a link.
 */
export function escapeMarkdown(text: string): string {
  // Any line ending (CommonMark: LF, CR LF or a lone CR) becomes a space: no new block can start.
  return text
    .replace(/[\\`*_{}[\]<>#|~]/g, (c) => `\\${c}`)
    .replace(/\r\n?|\n/g, ' ')
    .replace(AUTOLINK, '$1\u2060$2');
}
