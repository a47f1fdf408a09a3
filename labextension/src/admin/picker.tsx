/**
 * "Resources from profile": a select of the compute profiles the admin store holds,
 * read from the server each time it is shown (so a profile an admin just added is
 * there), for forms that ask for cpu, memory and GPUs (the Deploy form).
 */
import * as React from 'react';

import { BigheadClient } from '../api';
import { IProfile } from '../api/jobs';

export function ProfilePicker(props: { client: BigheadClient; onPick: (profile: IProfile) => void }): JSX.Element | null {
  const [profiles, setProfiles] = React.useState<IProfile[] | null>(null);
  React.useEffect(() => {
    let live = true;
    props.client.jobs
      .profiles()
      .then(r => live && setProfiles(r.profiles))
      .catch(() => live && setProfiles([])); // the form works without it
    return () => {
      live = false;
    };
  }, [props.client]);
  if (!profiles || profiles.length === 0) {
    return null;
  }
  return (
    <label>
      Resources from profile
      <select
        className="jp-mod-styled"
        aria-label="Resources from profile"
        value=""
        onChange={e => {
          const chosen = profiles.find(p => p.name === e.target.value);
          if (chosen) {
            props.onPick(chosen);
          }
        }}
      >
        <option value="">choose a profile…</option>
        {profiles.map(p => (
          <option key={p.name} value={p.name}>
            {p.name} — {p.cpu} CPU, {p.memory}
            {p.gpu > 0 ? `, ${p.gpu} GPU` : ''}
          </option>
        ))}
      </select>
    </label>
  );
}
