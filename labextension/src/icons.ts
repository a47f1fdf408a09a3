import { LabIcon } from '@jupyterlab/ui-components';

const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 2.2c-4.6 0-8.2 3.4-8.2 7.8 0 2.4 1 4.4 2.7 5.8v3.7c0 .6.4 1 1 1h2.2v1.3c0 .6.4 1 1 1h3.6c.6 0 1-.4 1-1v-1.3h.9c1.4 0 2.5-1.1 2.5-2.5v-1.7h1.1c.5 0 .8-.5.6-.9l-1.3-2.6c.1-.6.1-1.1.1-1.7 0-4.5-3.4-8.9-7.2-8.9zm0 2c2.7 0 5.2 3.3 5.2 6.9 0 .5 0 1-.1 1.5l-.1.4.8 1.5h-.8c-.6 0-1 .4-1 1v2.2c0 .3-.2.5-.5.5H13.4c-.6 0-1 .4-1 1v1.3h-1.6v-1.3c0-.6-.4-1-1-1H8.5v-3.2c0-.3-.2-.6-.4-.8-1.5-1.1-2.3-2.6-2.3-4.3 0-3.2 2.7-5.7 6.2-5.7z"/>
    <circle cx="10" cy="9.5" r="1.3"/>
    <circle cx="14.2" cy="9.5" r="1.3"/>
  </g>
</svg>`;

/** The Bighead logo, themed like JupyterLab's own icons. */
export const bigheadIcon = new LabIcon({ name: 'jupyter-bighead:logo', svgstr });
