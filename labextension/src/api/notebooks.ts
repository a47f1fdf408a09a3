/**
 * Notebooks: productionize (and its plan) and reviewer reports.
 */
import { AreaClient } from './client';

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

/** `POST notebooks/productionize/plan`: what a run would overwrite. */
export interface IPlan {
  outputs: string[];
  overwrites: string[];
}

export class NotebooksClient extends AreaClient {
  /** Strip the prototype cells of the notebook at `path` and write its production files. */
  productionize(path: string, force: boolean): Promise<IProductionResult> {
    return this.call('productionize', { body: { path, force } });
  }

  /** What productionizing the notebook at `path` would overwrite (writes nothing). */
  plan(path: string): Promise<IPlan> {
    return this.call('productionizePlan', { body: { path } });
  }

  /** Render the reviewer report of the notebook at `path`; returns the report's path. */
  report(path: string): Promise<{ report: string }> {
    return this.call('report', { body: { path } });
  }
}
