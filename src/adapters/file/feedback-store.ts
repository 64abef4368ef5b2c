import type { FeedbackRecord } from '../../cds/types';
import type { FeedbackSink } from '../../ports';
import { JsonLinesFile } from './json-lines';

/** Feedback kept in an append-only JSON-lines file, so it survives restarts. */
export class FileFeedbackStore implements FeedbackSink {
  private readonly lines: JsonLinesFile;

  constructor(file: string) {
    this.lines = new JsonLinesFile(file).ensureFolder();
  }

  append(records: FeedbackRecord[]): Promise<void> {
    return this.lines.append(records);
  }

  /** Everything stored so far (for tests and operators). */
  async readAll(): Promise<Record<string, unknown>[]> {
    return (await this.lines.readAll()) as Record<string, unknown>[];
  }
}
