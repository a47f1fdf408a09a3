/**
 * Shared interfaces and identifiers of the Bighead frontend.
 */

/** The plugin id; also the key of its settings in the lab settings registry. */
export const PLUGIN_ID = 'jupyter-bighead:plugin';

/** The DOM id of the left-sidebar panel. */
export const SIDEBAR_ID = 'bighead-sidebar';

/** Command ids. */
export namespace CommandIDs {
  export const openPanel = 'bighead:open-panel';
  export const refresh = 'bighead:refresh';
  export const togglePrototype = 'bighead:toggle-prototype';
  export const productionize = 'bighead:productionize';
  export const report = 'bighead:report';
}

/** The cell tag that marks prototype cells (in `cell.metadata.tags`). */
export const PROTOTYPE_TAG = 'prototype';

/** `GET /bighead/api/status`. */
export interface IStatus {
  version: string;
  home: string;
  stores: { [store: string]: string };
  executor: string;
  python?: string;
}

/** The JSON body of every error the Bighead API returns. */
export interface IErrorBody {
  error: string;
  message: string;
  details?: unknown;
}

/** A failed API call, carrying the server's error code and message. */
export class BigheadRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown = null
  ) {
    super(message);
    this.name = 'BigheadRequestError';
  }
}

/** One production cell that reads names only prototype cells define. */
export interface IOffense {
  cell: number;
  first_line: string;
  names: string[];
  reasons: string[];
}

/** The dependency check of productionize. */
export interface IDependencyReport {
  ok: boolean;
  offenses: IOffense[];
  magics: { cell: number; line: number; kind: string; text: string; prototype: boolean }[];
  undefined: { [cell: string]: string[] };
}

/** `POST /bighead/api/notebooks/productionize`. */
export interface IProductionResult {
  source: string;
  notebook: string;
  module: string;
  manifest: string;
  executed: string | null;
  removed_cells: number[];
  warnings: string[];
  dependencies: IDependencyReport;
}
