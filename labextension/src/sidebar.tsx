/**
 * The Bighead left-sidebar panel: platform status, then one section per area of the
 * platform (Models, Features, Jobs, Deployments, Blocks; Admin for admins), each drawing
 * its area model.
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import * as React from 'react';

import { AdminSection } from './admin/section';
import { BlocksSection } from './blocks/section';
import { DeploymentsSection } from './deployments/section';
import { FeaturesSection } from './features/section';
import { bigheadIcon } from './icons';
import { JobsSection } from './jobs/section';
import { ModelsSection } from './models/section';
import { ReviewsSection } from './reviews/section';
import { StatusSection } from './status/section';
import { IBigheadModels, SIDEBAR_ID } from './tokens';

/** The panel's sections (the shell in `shell.tsx` imports this chunk lazily). */
export function SidebarContent(props: {
  models: IBigheadModels;
  openModel: (name: string) => void;
  openPath: (path: string) => void;
  insertCode: (code: string) => string | null;
  openReview: (id: string) => void;
}): JSX.Element {
  return (
    <div className="jp-bighead-sidebar-content">
      <header className="jp-bighead-title">
        <bigheadIcon.react tag="span" className="jp-bighead-title-icon" />
        <h2>Bighead</h2>
      </header>
      <StatusSection model={props.models.status} cluster={props.models.cluster} />
      <ModelsSection model={props.models.models} onOpen={props.openModel} />
      <ReviewsSection areas={props.models} onOpen={props.openReview} />
      <FeaturesSection model={props.models.features} />
      <JobsSection
        model={props.models.jobs}
        poller={props.models.poller}
        openPath={props.openPath}
        status={props.models.status}
      />
      <DeploymentsSection model={props.models.deployments} status={props.models.status} />
      <BlocksSection model={props.models.blocks} insertCode={props.insertCode} />
      <AdminSection areas={props.models} />
    </div>
  );
}

/** The sidebar widget. */
export class BigheadSidebar extends ReactWidget {
  constructor(
    readonly models: IBigheadModels,
    private readonly openModel: (name: string) => void = () => undefined,
    private readonly openPath: (path: string) => void = () => undefined,
    private readonly insertCode: (code: string) => string | null = () => 'No notebook is open.',
    private readonly openReview: (id: string) => void = () => undefined
  ) {
    super();
    this.id = SIDEBAR_ID;
    this.addClass('jp-bighead-sidebar');
    this.title.icon = bigheadIcon;
    this.title.caption = 'Bighead';
    this.title.label = '';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Bighead');
  }

  protected render(): JSX.Element {
    return (
      <SidebarContent
        models={this.models}
        openModel={this.openModel}
        openPath={this.openPath}
        insertCode={this.insertCode}
        openReview={this.openReview}
      />
    );
  }
}
