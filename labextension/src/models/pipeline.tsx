/**
 * Draws a pipeline's DAG (`Pipeline.describe()`) as an SVG: one box per block,
 * laid out in columns by depth, with an arrow per edge.
 */
import * as React from 'react';

import { IPipelineGraph } from '../api/models';

const BOX_W = 150;
const BOX_H = 40;
const GAP_X = 40;
const GAP_Y = 14;

function edgeEnds(edge: IPipelineGraph['edges'][number]): [string, string] {
  return Array.isArray(edge) ? [edge[0], edge[1]] : [edge.source, edge.target];
}

/** Depth of each node: the longest path from a source. */
export function layers(graph: IPipelineGraph): Map<string, number> {
  const depth = new Map<string, number>(graph.nodes.map(n => [n.id, 0]));
  const edges = graph.edges.map(edgeEnds);
  for (let round = 0; round < graph.nodes.length; round++) {
    let changed = false;
    for (const [a, b] of edges) {
      const next = (depth.get(a) ?? 0) + 1;
      if (next > (depth.get(b) ?? 0)) {
        depth.set(b, next);
        changed = true;
      }
    }
    if (!changed) {
      break;
    }
  }
  return depth;
}

export function PipelineGraph(props: { graph: IPipelineGraph }): JSX.Element {
  const { graph } = props;
  const depth = layers(graph);
  const columns = new Map<number, string[]>();
  for (const node of graph.nodes) {
    const d = depth.get(node.id) ?? 0;
    columns.set(d, [...(columns.get(d) ?? []), node.id]);
  }
  const pos = new Map<string, { x: number; y: number }>();
  let height = 0;
  for (const [d, ids] of columns) {
    ids.forEach((id, i) => {
      pos.set(id, { x: 10 + d * (BOX_W + GAP_X), y: 10 + i * (BOX_H + GAP_Y) });
    });
    height = Math.max(height, ids.length * (BOX_H + GAP_Y));
  }
  const width = 20 + columns.size * (BOX_W + GAP_X);
  return (
    <svg
      className="jp-bighead-pipeline"
      data-testid="pipeline-graph"
      width={width}
      height={height + 20}
      role="img"
      aria-label="Pipeline graph"
    >
      <defs>
        <marker id="jp-bighead-arrow" markerWidth="8" markerHeight="8" refX="8" refY="4" orient="auto">
          <path d="M0,0 L8,4 L0,8 z" className="jp-bighead-pipeline-arrow" />
        </marker>
      </defs>
      {[...new Set(graph.edges.map(e => edgeEnds(e).join('\u0000')))].map(key => {
        const [a, b] = key.split('\u0000');
        const from = pos.get(a);
        const to = pos.get(b);
        if (!from || !to) {
          return null;
        }
        return (
          <line
            key={`${a}->${b}`}
            x1={from.x + BOX_W}
            y1={from.y + BOX_H / 2}
            x2={to.x}
            y2={to.y + BOX_H / 2}
            className="jp-bighead-pipeline-edge"
            markerEnd="url(#jp-bighead-arrow)"
          />
        );
      })}
      {graph.nodes.map(node => {
        const p = pos.get(node.id)!;
        const title = node.name ?? node.id;
        const cols = node.columns && node.columns.length ? node.columns.join(', ') : '';
        return (
          <g key={node.id} transform={`translate(${p.x},${p.y})`} data-node={node.id}>
            <title>{cols ? `${title}: ${cols}` : title}</title>
            <rect width={BOX_W} height={BOX_H} rx={4} className={`jp-bighead-pipeline-node ${node.kind ?? ''}`} />
            <text x={8} y={16} className="jp-bighead-pipeline-label">
              {title.length > 20 ? `${title.slice(0, 19)}…` : title}
            </text>
            <text x={8} y={31} className="jp-bighead-pipeline-cols">
              {cols.length > 24 ? `${cols.slice(0, 23)}…` : cols}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
