import { escapeMarkdown } from '../../../src/render/markdown';

/** Record text placed into card markdown is shown as text: it cannot add links, HTML, emphasis or blocks. */
describe('escapeMarkdown', () => {
  it.each([
    ['a link', '[x](https://evil)', '\\[x\\](https\u2060://evil)'],
    ['an image', '![t](https://evil/t.png)', '!\\[t\\](https\u2060://evil/t.png)'],
    [
      'a bare URL (GFM autolink)',
      'see https://evil.example/login',
      'see https\u2060://evil.example/login',
    ],
    ['a www. name (GFM autolink)', 'at WWW.evil.example', 'at WWW\u2060.evil.example'],
    ['a mailto', 'mailto:x@evil.example', 'mailto\u2060:x@evil.example'],
    ['strikethrough (GFM)', '~~x~~', '\\~\\~x\\~\\~'],
    ['a word that only contains a scheme', 'shttps: thewww.x', 'shttps: thewww.x'],
    ['HTML', '<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    ['an autolink', '<https://evil>', '\\<https\u2060://evil\\>'],
    ['bold and italics', '**bold** _it_', '\\*\\*bold\\*\\* \\_it\\_'],
    ['code', '`rm -rf`', '\\`rm -rf\\`'],
    ['a heading', '# Title', '\\# Title'],
    ['a table cell', 'a | b', 'a \\| b'],
    ['a backslash escape of its own', '\\*', '\\\\\\*'],
    ['a placeholder-like text', '${drugName}', '$\\{drugName\\}'],
    ['LF', 'a\n- item', 'a - item'],
    ['CR LF', 'a\r\n- item', 'a - item'],
    ['a lone CR (a line ending in CommonMark)', 'a\r- item', 'a - item'],
    ['plain text', 'ECOG 1 on 2026-06-05 (final).', 'ECOG 1 on 2026-06-05 (final).'],
  ])('%s', (_name, text, escaped) => {
    expect(escapeMarkdown(text)).toBe(escaped);
  });
});
