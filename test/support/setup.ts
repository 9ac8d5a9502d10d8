import { silenceNodeVersionWarning } from '../../src/process/quiet.js';

silenceNodeVersionWarning();
