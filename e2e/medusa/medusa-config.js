/**
 * Medusa v2 configuration for invsync's end-to-end tests: PostgreSQL from DATABASE_URL, no
 * Redis (in-memory event bus, cache and locking), no admin dashboard build.
 */
const { defineConfig } = require('@medusajs/framework/utils');

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: process.env.DATABASE_URL,
    databaseLogging: false,
    http: {
      storeCors: 'http://127.0.0.1',
      adminCors: 'http://127.0.0.1',
      authCors: 'http://127.0.0.1',
      jwtSecret: process.env.JWT_SECRET || 'invsync-e2e-jwt-secret',
      cookieSecret: process.env.COOKIE_SECRET || 'invsync-e2e-cookie-secret',
    },
  },
  admin: { disable: true },
});
