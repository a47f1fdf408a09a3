/**
 * Requests from the kernel side (our ipywidgets) to act on the notebook, e.g. the
 * FeatureLookup widget's "Insert code". Kernel code opens a comm on this target.
 */
import { NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';

export const COMM_TARGET = 'jupyter_bighead';

interface IFrontendRequest {
  action?: string;
  code?: string;
  name?: string;
  version?: number;
}

/** What the frontend does for requests other than inserting cells. */
export type RequestHandler = (action: string, data: { [key: string]: unknown }) => void;

/** Insert a code cell holding `code` below the active cell. */
export function insertCodeBelow(panel: NotebookPanel, code: string): void {
  const notebook = panel.content;
  NotebookActions.insertBelow(notebook);
  notebook.activeCell?.model.sharedModel.setSource(code);
}

/** Listen for frontend requests from whatever kernel the notebook runs. */
export function listenToKernel(panel: NotebookPanel, other?: RequestHandler): void {
  const register = (kernel: Kernel.IKernelConnection | null | undefined): void => {
    kernel?.registerCommTarget(COMM_TARGET, (_comm, msg) => {
      const data = msg.content.data as IFrontendRequest;
      if (data.action === 'insert_cell' && typeof data.code === 'string') {
        insertCodeBelow(panel, data.code);
      } else if (data.action && other) {
        other(data.action, data as { [key: string]: unknown });
      }
    });
  };
  panel.sessionContext.kernelChanged.connect((_, change) => register(change.newValue));
  void panel.sessionContext.ready.then(() => register(panel.sessionContext.session?.kernel));
}
