import type { FeedbackItem } from './cds/types';

/** Where feedback on cards is kept (CDS Hooks feedback endpoint). */
export interface FeedbackSink {
  append(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<void>;
}

/** The time, injectable so tests and evaluations are reproducible. */
export type Clock = () => Date;
