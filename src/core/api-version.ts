/**
 * @module core/api-version
 * Where the native API lives on a server: what the server registers its routes under and
 * what its clients call.
 */
export const API_PREFIX = '/api/v1';
