import { escapeMarkdown } from '../../../src/render/markdown';

/** Record text placed into card markdown is shown as text: it cannot add links, HTML, emphasis or blocks. */
describe('escapeMarkdown', () => {
  it.each([
    ['a link', '[x](https://evil)', '\\[x\\](https://evil)'],
    ['an image', '![t](https://evil/t.png)', '!\\[t\\](https://evil/t.png)'],
    ['HTML', '<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    ['an autolink', '<https://evil>', '\\<https://evil\\>'],
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
