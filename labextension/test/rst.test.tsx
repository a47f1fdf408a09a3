/**
 * Docstrings rendered as text: blocks, inline markup, and nothing injected.
 */
import * as React from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';

import { RstText, rstBlocks, rstInline, rstPlain } from '../src/rst';

const DOC = `Scale numeric columns.

    Parameters
    ----------
    columns : list of str
        The columns to scale, e.g. \`\`["age"]\`\`.

    - first *item*
      continued
    - second **item**

    Example::

        Scaler(columns=["age"])
`;

describe('rstBlocks', () => {
  it('splits paragraphs, titles, lists and literal blocks', () => {
    expect(rstBlocks(DOC)).toEqual([
      { kind: 'p', text: 'Scale numeric columns.' },
      { kind: 'title', text: 'Parameters' },
      { kind: 'p', text: 'columns : list of str The columns to scale, e.g. ``["age"]``.' },
      { kind: 'list', items: ['first *item* continued', 'second **item**'] },
      { kind: 'p', text: 'Example:' },
      { kind: 'pre', text: 'Scaler(columns=["age"])' }
    ]);
  });

  it('drops a bare :: paragraph but keeps its literal block', () => {
    expect(rstBlocks('Run it ::\n\n    go()\n')).toEqual([
      { kind: 'p', text: 'Run it' },
      { kind: 'pre', text: 'go()' }
    ]);
  });
});

describe('inline markup', () => {
  const html = (text: string): string => renderToStaticMarkup(<>{rstInline(text)}</>);

  it('renders literals, roles, strong, interpreted text and emphasis', () => {
    expect(html('use ``fit`` or :func:`pkg.mod.run` and :class:`~pkg.mod.Name`')).toBe(
      'use <code>fit</code> or <code>pkg.mod.run</code> and <code>Name</code>'
    );
    expect(html('**bold**, *soft* and `Link <http://x>`_')).toBe(
      '<strong>bold</strong>, <em>soft</em> and <code>Link</code>'
    );
  });

  it('strips markup for plain text', () => {
    expect(rstPlain('The :class:`~a.b.Scaler` for ``x``')).toBe('The Scaler for x');
  });
});

describe('RstText', () => {
  it('renders a docstring as paragraphs, a title, a list and a code block', () => {
    const out = renderToStaticMarkup(<RstText text={DOC} className="doc" />);
    expect(out).toContain('<div class="jp-bighead-rst doc">');
    expect(out).toContain('<h6>Parameters</h6>');
    expect(out).toContain('<li>first <em>item</em> continued</li>');
    expect(out).toContain('<pre>Scaler(columns=[&quot;age&quot;])</pre>');
  });

  it('never lets a docstring inject markup', () => {
    const out = renderToStaticMarkup(<RstText text={'<img src=x onerror=alert(1)> ``<script>``'} />);
    expect(out).not.toContain('<img');
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;img src=x onerror=alert(1)&gt; <code>&lt;script&gt;</code>');
  });
});
