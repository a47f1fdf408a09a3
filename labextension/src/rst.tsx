/**
 * Docstrings (reStructuredText, numpydoc sections) as readable text.
 *
 * Only the constructs docstrings use are understood: paragraphs, section titles
 * underlined with `-` or `=`, bullet lists, `::` literal blocks, and the inline
 * ``literal``, :role:`target`, `interpreted`, **strong** and *emphasis*. Everything
 * is rendered as React text, so nothing in a docstring can inject markup.
 */
import * as React from 'react';

const INLINE = /``(.+?)``|:[\w:.-]+:`~?([^`]+?)`|\*\*(.+?)\*\*|`([^`]+?)`_{0,2}|\*([^*\s](?:[^*]*[^*\s])?)\*/g;

/** One line or paragraph of inline reStructuredText. */
export function rstInline(text: string): React.ReactNode[] {
  const out: React.ReactNode[] = [];
  let last = 0;
  let key = 0;
  const pattern = new RegExp(INLINE.source, 'g');
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const at = match.index;
    if (at > last) {
      out.push(text.slice(last, at));
    }
    const [, literal, role, strong, interpreted, emphasis] = match;
    if (literal !== undefined) {
      out.push(<code key={key++}>{literal}</code>);
    } else if (role !== undefined) {
      // :class:`~pkg.mod.Name` shows as Name, :func:`pkg.f` as pkg.f
      const shown = match[0].includes('`~') ? role.split('.').pop() ?? role : role;
      out.push(<code key={key++}>{shown.replace(/\s*<[^>]*>$/, '')}</code>);
    } else if (strong !== undefined) {
      out.push(<strong key={key++}>{strong}</strong>);
    } else if (interpreted !== undefined) {
      out.push(<code key={key++}>{interpreted.replace(/\s*<[^>]*>$/, '')}</code>);
    } else if (emphasis !== undefined) {
      out.push(<em key={key++}>{emphasis}</em>);
    }
    last = at + match[0].length;
  }
  if (last < text.length) {
    out.push(text.slice(last));
  }
  return out;
}

/** The text with inline markup removed (for titles and one-line summaries). */
export function rstPlain(text: string): string {
  return text.replace(INLINE, (whole, literal, role, strong, interpreted, emphasis) => {
    const value = literal ?? role ?? strong ?? interpreted ?? emphasis ?? whole;
    return whole.includes('`~') ? String(value).split('.').pop() ?? value : value;
  });
}

type Block =
  | { kind: 'p'; text: string }
  | { kind: 'title'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'pre'; text: string };

function dedent(lines: string[]): string[] {
  const indents = lines.filter(l => l.trim()).map(l => l.length - l.trimStart().length);
  const cut = indents.length ? Math.min(...indents) : 0;
  return lines.map(l => l.slice(cut));
}

/** Split a docstring into blocks. */
export function rstBlocks(doc: string): Block[] {
  const lines = dedent(doc.replace(/\r\n?/g, '\n').split('\n'));
  const blocks: Block[] = [];
  let i = 0;
  let literalNext = false;
  while (i < lines.length) {
    const line = lines[i];
    if (!line.trim()) {
      i++;
      continue;
    }
    const indent = line.length - line.trimStart().length;
    if (literalNext && indent > 0) {
      const body: string[] = [];
      while (i < lines.length && (!lines[i].trim() || lines[i].length - lines[i].trimStart().length >= indent)) {
        body.push(lines[i]);
        i++;
      }
      blocks.push({ kind: 'pre', text: dedent(body).join('\n').trimEnd() });
      literalNext = false;
      continue;
    }
    literalNext = false;
    const next = lines[i + 1] ?? '';
    if (/^\s*([-=~^])\1{2,}\s*$/.test(next) && line.trim().length <= next.trim().length + 2) {
      blocks.push({ kind: 'title', text: line.trim() });
      i += 2;
      continue;
    }
    if (/^\s*[-*•]\s+/.test(line)) {
      const items: string[] = [];
      while (i < lines.length && lines[i].trim()) {
        if (/^\s*[-*•]\s+/.test(lines[i])) {
          items.push(lines[i].replace(/^\s*[-*•]\s+/, ''));
        } else if (items.length) {
          items[items.length - 1] += ' ' + lines[i].trim();
        }
        i++;
      }
      blocks.push({ kind: 'list', items });
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i].trim()) {
      para.push(lines[i].trim());
      i++;
    }
    let text = para.join(' ');
    if (text.endsWith('::')) {
      literalNext = true;
      text = text.endsWith(' ::') || text === '::' ? text.slice(0, -3).trimEnd() : text.slice(0, -1);
    }
    if (text) {
      blocks.push({ kind: 'p', text });
    }
  }
  return blocks;
}

/** A docstring rendered as paragraphs, titles, lists and code blocks. */
export function RstText(props: { text: string; className?: string }): JSX.Element {
  return (
    <div className={`jp-bighead-rst ${props.className ?? ''}`}>
      {rstBlocks(props.text).map((block, i) => {
        switch (block.kind) {
          case 'title':
            return <h6 key={i}>{rstPlain(block.text)}</h6>;
          case 'list':
            return (
              <ul key={i}>
                {block.items.map((item, j) => (
                  <li key={j}>{rstInline(item)}</li>
                ))}
              </ul>
            );
          case 'pre':
            return <pre key={i}>{block.text}</pre>;
          default:
            return <p key={i}>{rstInline(block.text)}</p>;
        }
      })}
    </div>
  );
}
