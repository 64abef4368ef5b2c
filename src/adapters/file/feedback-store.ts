import fs from 'node:fs';
import path from 'node:path';
import type { FeedbackItem } from '../../cds/types';
import type { FeedbackSink } from '../../ports';

/** Feedback kept in an append-only JSON-lines file, so it survives restarts. */
export class FileFeedbackStore implements FeedbackSink {
  constructor(private readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
  }

  async append(serviceId: string, items: FeedbackItem[], receivedAt: Date): Promise<void> {
    const lines = items
      .map((item) =>
        JSON.stringify({ receivedAt: receivedAt.toISOString(), service: serviceId, ...item }),
      )
      .join('\n');
    await fs.promises.appendFile(this.file, lines + '\n', 'utf8');
  }

  /** Everything stored so far (for tests and operators). */
  async readAll(): Promise<Record<string, unknown>[]> {
    if (!fs.existsSync(this.file)) return [];
    const text = await fs.promises.readFile(this.file, 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l));
  }
}
