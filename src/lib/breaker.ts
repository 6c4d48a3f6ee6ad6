/**
 * The runtime circuit breaker's decisions (SPEC §5), pure: fed one outcome per batch, it says
 * whether to keep sending. It opens after `consecutiveFailures` failed batches in a row, or when
 * failed items exceed `maxErrorRatio` of those attempted (judged once `minSample` items were
 * attempted, so one early failure in a tiny sample does not stop a large run).
 */
export interface BreakerPolicy {
  consecutiveFailures: number;
  maxErrorRatio: number;
  minSample?: number;
}

export interface BatchOutcome {
  attempted: number;
  failed: number;
  /** The request failed as a whole (after retries). */
  requestFailed: boolean;
}

export class CircuitBreaker {
  private consecutive = 0;
  private attempted = 0;
  private failed = 0;
  private reason: string | null = null;

  constructor(private readonly policy: BreakerPolicy) {}

  record(outcome: BatchOutcome): void {
    this.attempted += outcome.attempted;
    this.failed += outcome.failed;
    const batchFailed = outcome.requestFailed || (outcome.attempted > 0 && outcome.failed === outcome.attempted);
    this.consecutive = batchFailed ? this.consecutive + 1 : 0;
    if (this.reason) return;
    if (this.consecutive >= this.policy.consecutiveFailures) {
      this.reason = `${this.consecutive} batches failed in a row (breaker.consecutiveFailures = ${this.policy.consecutiveFailures})`;
      return;
    }
    const ratio = this.attempted === 0 ? 0 : this.failed / this.attempted;
    if (this.attempted >= (this.policy.minSample ?? 10) && ratio > this.policy.maxErrorRatio) {
      this.reason = `${this.failed} of ${this.attempted} items failed (${(ratio * 100).toFixed(1)}% > breaker.maxErrorRatio ${(this.policy.maxErrorRatio * 100).toFixed(1)}%)`;
    }
  }

  get isOpen(): boolean {
    return this.reason !== null;
  }

  /** Why the breaker opened, or null while closed. */
  get openReason(): string | null {
    return this.reason;
  }
}
