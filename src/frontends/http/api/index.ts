export { createApiFrontend, type ApiFrontend, type ApiFrontendOptions } from './api-frontend.js';
export { ApiKeyStore, ApiKeyRecord, defaultApiWorkspace, generateApiKey, principalOfKey, type ApiKeyInfo, type NewApiKey } from './api-keys.js';
export { apiStatus, type ApiAgent, type ApiStatus } from './present.js';
export { webhookSignature, webhookUserAgent, WebhookSender } from './webhook-delivery.js';
export { WebhookJob } from '../../../queue/webhook-queue.js';
export { webhookUrlProblem } from './webhook-url.js';
