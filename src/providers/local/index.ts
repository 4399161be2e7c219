/** The `local` provider: deploy targets that are directories on this machine. */

export {
  currentLinkTarget,
  type LocalLayout,
  layout,
  RELEASE_MARKER,
  type ReleaseEntry,
  releaseDir,
  releasesToPrune,
  versionOfLink,
} from './layout.js';
export { LocalProvider } from './provider.js';
export { type LocalTargetStatus, readLocalTarget } from './status.js';
