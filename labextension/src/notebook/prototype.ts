/**
 * Prototype cells: the tag toggle and the visual marking of tagged cells.
 */
import { Cell, ICellModel } from '@jupyterlab/cells';
import { Notebook, NotebookPanel } from '@jupyterlab/notebook';

import { PROTOTYPE_TAG } from '../tokens';

const PROTOTYPE_CLASS = 'jp-bighead-prototype';

function tagsOf(model: ICellModel): string[] {
  const tags = model.getMetadata('tags');
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

export function isPrototype(model: ICellModel): boolean {
  return tagsOf(model).includes(PROTOTYPE_TAG);
}

/** Set or clear the prototype tag, keeping the cell's other tags. */
export function setPrototype(model: ICellModel, prototype: boolean): void {
  const tags = tagsOf(model).filter(t => t !== PROTOTYPE_TAG);
  if (prototype) {
    tags.push(PROTOTYPE_TAG);
  }
  if (tags.length > 0) {
    model.setMetadata('tags', tags);
  } else {
    model.deleteMetadata('tags');
  }
}

/** The selected cells, or the active cell when nothing else is selected. */
export function selectedCells(notebook: Notebook): Cell[] {
  return notebook.widgets.filter(cell => notebook.isSelectedOrActive(cell));
}

/**
 * Toggle the prototype tag on the selection: if every selected cell is already
 * a prototype, clear the tag on all of them; otherwise tag all of them.
 */
export function togglePrototype(notebook: Notebook): boolean {
  const cells = selectedCells(notebook);
  const makePrototype = !cells.every(cell => isPrototype(cell.model));
  for (const cell of cells) {
    setPrototype(cell.model, makePrototype);
  }
  return makePrototype;
}

/** Keep the `jp-bighead-prototype` class of every cell in step with its tags. */
export function trackPrototypeCells(panel: NotebookPanel): void {
  const notebook = panel.content;
  const watched = new WeakSet<ICellModel>();
  const refresh = (): void => {
    for (const cell of notebook.widgets) {
      cell.toggleClass(PROTOTYPE_CLASS, isPrototype(cell.model));
      if (!watched.has(cell.model)) {
        watched.add(cell.model);
        cell.model.metadataChanged.connect(() => {
          // The widget for a model can be re-created; look it up again.
          refresh();
        });
      }
    }
  };
  const connectModel = (): void => {
    notebook.model?.cells.changed.connect(() => {
      // Cell widgets for new models are created in the same turn; refresh after.
      requestAnimationFrame(refresh);
    });
    refresh();
  };
  notebook.modelChanged.connect(connectModel);
  if (notebook.model) {
    connectModel();
  }
  void panel.context.ready.then(refresh);
}
