/**
 * Render Plotly JSON with JupyterLab's own MIME renderer (jupyterlab-plotly), so the
 * panel draws exactly the figures the notebook shows.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { IPlotlyFigure } from '../tokens';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

export function PlotlyChart(props: {
  figure: IPlotlyFigure;
  rendermime: IRenderMimeRegistry | null;
  name: string;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const [missing, setMissing] = React.useState(false);
  React.useEffect(() => {
    const node = host.current;
    const rendermime = props.rendermime;
    if (!node || !rendermime || rendermime.preferredMimeType({ [PLOTLY_MIME]: {} }) !== PLOTLY_MIME) {
      setMissing(true);
      return;
    }
    const renderer = rendermime.createRenderer(PLOTLY_MIME);
    const model = new MimeModel({ data: { [PLOTLY_MIME]: props.figure as never } });
    Widget.attach(renderer, node);
    void renderer.renderModel(model);
    return () => renderer.dispose();
  }, [props.figure, props.rendermime]);
  return (
    <div className="jp-bighead-chart" data-chart={props.name}>
      <div ref={host} />
      {missing && (
        <p className="jp-bighead-muted">
          Install plotly in the server's environment to draw this chart ({props.name}).
        </p>
      )}
    </div>
  );
}
