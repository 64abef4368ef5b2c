/** Record text placed into markdown cannot add links, HTML or emphasis. */
export function escapeMarkdown(text: string): string {
  // Any line ending (CommonMark: LF, CR LF or a lone CR) becomes a space: no new block can start.
  return text.replace(/[\\`*_{}[\]<>#|]/g, (c) => `\\${c}`).replace(/\r\n?|\n/g, ' ');
}
