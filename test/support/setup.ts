import { silenceNodeVersionWarning } from '../../src/testing/quiet.js';

silenceNodeVersionWarning();
