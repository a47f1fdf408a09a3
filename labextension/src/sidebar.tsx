/**
 * The Bighead left-sidebar panel: platform status, then one section per area of the
 * platform (Models, Features, Jobs, Deployments, Blocks; Admin for admins), each drawing
 * its area model.
 */
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
import { IBigheadModels } from './tokens';

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
