// Entry point: runs last in the bundle, after every feature module has registered its mounts.
import { onReady, startMounts, fixDirectoryLinksForFiles } from './core.js';

onReady(() => {
  fixDirectoryLinksForFiles();
  startMounts();
});
