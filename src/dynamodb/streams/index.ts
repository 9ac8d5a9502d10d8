export { streamsClientFor } from './client.js';
export { createStreamFeed, type StreamFeed } from './feed.js';
export type { StreamFeedOptions, StreamPollOptions } from './options.js';
