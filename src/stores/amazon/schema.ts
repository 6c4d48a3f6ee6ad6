import { z } from 'zod';

/**
 * Amazon Selling Partner API (API_FACTS §11): the store's config keys and every response shape
 * invsync reads, validated where it enters. Unknown fields are ignored. This file imports nothing
 * from config/schema.ts (which joins `amazonFields` with the keys every store has).
 */

const httpUrl = z.url({ protocol: /^https?$/, error: 'Invalid url (expected http:// or https://)' });

export const AmazonRegion = z.enum(['na', 'eu', 'fe']);
export type AmazonRegion = z.infer<typeof AmazonRegion>;

/** Production hosts per region (API_FACTS §11.1). */
export const REGION_URLS: Record<AmazonRegion, string> = {
  na: 'https://sellingpartnerapi-na.amazon.com',
  eu: 'https://sellingpartnerapi-eu.amazon.com',
  fe: 'https://sellingpartnerapi-fe.amazon.com',
};

export const DEFAULT_TOKEN_URL = 'https://api.amazon.com/auth/o2/token';

/** Most PATCH messages one JSON_LISTINGS_FEED takes. */
export const FEED_MAX_MESSAGES = 25_000;

export const amazonFields = {
  type: z.literal('amazon'),
  /** Seller Central merchant token. */
  sellerId: z.string().trim().min(1),
  marketplaceId: z.string().trim().min(1),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  refreshToken: z.string().min(1),
  region: AmazonRegion.default('na'),
  /** The SP-API base; default: the region's production host. */
  url: httpUrl.optional(),
  tokenUrl: httpUrl.default(DEFAULT_TOKEN_URL),
  /** `PRODUCT` allows partial updates of any listing (API_FACTS §11.2). */
  productType: z.string().trim().min(1).default('PRODUCT'),
  /** A batch of at most this many changes goes as patchListingsItem calls instead of a feed (0: always a feed). */
  patchMax: z.number().int().min(0).max(FEED_MAX_MESSAGES).default(20),
  /** How long a push waits for a feed to be processed before leaving its items pending for the next run. */
  feedWaitMinutes: z.number().positive().max(24 * 60).default(20),
};

/* ---------------------------------------------------------------- Login with Amazon */

/** `POST tokenUrl` (grant_type=refresh_token) → 200. */
export const LwaToken = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.number().positive(),
});
export type LwaToken = z.infer<typeof LwaToken>;

/** LWA errors (HTTP 400/401): `{"error":"invalid_grant","error_description":"…"}`. */
export const LwaError = z.object({ error: z.string(), error_description: z.string().optional() });

/* ---------------------------------------------------------------- SP-API errors */

/** `{"errors":[{code, message, details?}]}` on every SP-API error status. */
export const SpErrorList = z.object({
  errors: z.array(z.object({ code: z.string(), message: z.string(), details: z.string().optional() })).min(1),
});
export type SpErrorList = z.infer<typeof SpErrorList>;

/* ---------------------------------------------------------------- Reports API 2021-06-30 */

export const ProcessingStatus = z.enum(['IN_QUEUE', 'IN_PROGRESS', 'DONE', 'FATAL', 'CANCELLED']);
export type ProcessingStatus = z.infer<typeof ProcessingStatus>;

export const CreateReportResponse = z.object({ reportId: z.string().min(1) });

export const Report = z.object({
  reportId: z.string(),
  processingStatus: ProcessingStatus,
  reportDocumentId: z.string().optional(),
});
export type Report = z.infer<typeof Report>;

/** Report and feed documents: a presigned URL (valid 5 minutes) and how it is compressed. */
export const DocumentLink = z.object({
  url: z.string().url(),
  compressionAlgorithm: z.literal('GZIP').optional(),
});
export type DocumentLink = z.infer<typeof DocumentLink>;

/* ---------------------------------------------------------------- Feeds API 2021-06-30 */

export const CreateFeedDocumentResponse = z.object({ feedDocumentId: z.string().min(1), url: z.string().url() });
export const CreateFeedResponse = z.object({ feedId: z.string().min(1) });

export const Feed = z.object({
  feedId: z.string(),
  processingStatus: ProcessingStatus,
  resultFeedDocumentId: z.string().optional(),
});
export type Feed = z.infer<typeof Feed>;

/** The JSON_LISTINGS_FEED processing report (listings-feed-processing-report-schema-v2). */
export const ProcessingReport = z.object({
  header: z.object({ feedId: z.string().optional() }).optional(),
  issues: z.array(z.object({
    messageId: z.number().int().optional(),
    sku: z.string().optional(),
    code: z.string().optional(),
    severity: z.enum(['ERROR', 'WARNING', 'INFO']),
    message: z.string(),
    attributeName: z.string().optional(),
  })).default([]),
  summary: z.object({
    errors: z.number().int(),
    warnings: z.number().int(),
    messagesProcessed: z.number().int(),
    messagesAccepted: z.number().int(),
    messagesInvalid: z.number().int(),
  }),
});
export type ProcessingReport = z.infer<typeof ProcessingReport>;

/* ---------------------------------------------------------------- Listings Items API 2021-08-01 */

const Issue = z.object({
  code: z.string(),
  message: z.string(),
  severity: z.enum(['ERROR', 'WARNING', 'INFO']),
});

/** patchListingsItem → 200 whenever the request parsed: `status` says whether it was taken. */
export const PatchResponse = z.object({
  sku: z.string(),
  status: z.enum(['ACCEPTED', 'INVALID', 'VALID']),
  submissionId: z.string(),
  issues: z.array(Issue).default([]),
});
export type PatchResponse = z.infer<typeof PatchResponse>;

/** getListingsItem with includedData=summaries,fulfillmentAvailability. */
export const ListingsItem = z.object({
  sku: z.string(),
  summaries: z.array(z.object({ marketplaceId: z.string(), asin: z.string().optional(), productType: z.string().optional() })).optional(),
  fulfillmentAvailability: z.array(z.object({
    fulfillmentChannelCode: z.string(),
    quantity: z.number().int().min(0).optional(),
  })).optional(),
});
export type ListingsItem = z.infer<typeof ListingsItem>;

/** searchListingsItems → `{numberOfResults, items}` (read by `check` only for its count). */
export const SearchListingsResponse = z.object({ numberOfResults: z.number().int().min(0) });

/** Orders API v0 `getOrders` (the fields open orders need; the rest is ignored). */
export const OrdersResponse = z.object({
  payload: z.object({
    Orders: z.array(z.object({
      AmazonOrderId: z.string().min(1),
      OrderStatus: z.string(),
      /** `MFN` (the seller ships) or `AFN` (Amazon ships, FBA). */
      FulfillmentChannel: z.string().optional(),
      PurchaseDate: z.string().optional(),
    })),
    NextToken: z.string().optional(),
  }),
});
export type OrdersResponse = z.infer<typeof OrdersResponse>;

/** Orders API v0 `getOrderItems`. */
export const OrderItemsResponse = z.object({
  payload: z.object({
    AmazonOrderId: z.string().optional(),
    OrderItems: z.array(z.object({
      SellerSKU: z.string().optional(),
      OrderItemId: z.string().optional(),
      QuantityOrdered: z.number().int().min(0),
      QuantityShipped: z.number().int().min(0).optional(),
    })),
    NextToken: z.string().optional(),
  }),
});
export type OrderItemsResponse = z.infer<typeof OrderItemsResponse>;
