/**
 * Render Plotly JSON with JupyterLab's own MIME renderer (jupyterlab-plotly), so the
 * panel draws exactly the figures the notebook shows.
 */
import { IRenderMimeRegistry, MimeModel } from '@jupyterlab/rendermime';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { IPlotlyFigure } from '../api/models';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/**
 * Detach and dispose a renderer attached with `Widget.attach`.
 *
 * `Widget.dispose()` detaches an attached widget and throws "Widget is not attached."
 * when its node already left the page (an ancestor was removed first, e.g. the whole
 * panel): React would then unmount the whole tree and leave the panel blank. A node
 * that left the page is only marked detached before it is disposed.
 */
export function disposeRenderer(renderer: Widget): void {
  if (renderer.isDisposed) {
    return;
  }
  if (renderer.isAttached) {
    if (renderer.node.isConnected) {
      Widget.detach(renderer);
    } else {
      renderer.clearFlag(Widget.Flag.IsAttached);
    }
  }
  renderer.dispose();
}

export function PlotlyChart(props: {
  figure: IPlotlyFigure;
  rendermime: IRenderMimeRegistry | null;
  name: string;
}): JSX.Element {
  const host = React.useRef<HTMLDivElement>(null);
  const [missing, setMissing] = React.useState(false);
  // A layout effect: React runs its cleanup before it removes the host node from the
  // page, while the renderer can still be detached the Lumino way.
  React.useLayoutEffect(() => {
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
    return () => disposeRenderer(renderer);
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
