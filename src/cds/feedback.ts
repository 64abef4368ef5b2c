import { BadRequestError } from '../platform/errors';
import type { FeedbackItem } from './types';

function fail(message: string): never {
  throw new BadRequestError(message);
}

/** Validates a feedback body ({ feedback: [...] }); anything wrong is a 400 naming the item. */
export function parseFeedback(body: unknown): FeedbackItem[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) fail('the feedback body must be a JSON object');
  const list = (body as { feedback?: unknown }).feedback;
  if (!Array.isArray(list) || list.length === 0) fail('feedback must be a non-empty array');
  if (list.length > 100) fail('feedback holds more than 100 items');
  return list.map((raw, i) => {
    const at = `feedback[${i}]`;
    if (typeof raw !== 'object' || raw === null) fail(`${at} must be an object`);
    const item = raw as Record<string, unknown>;
    if (typeof item.card !== 'string' || item.card.trim() === '' || item.card.length > 128) fail(`${at}.card must be the card's uuid`);
    if (item.outcome !== 'accepted' && item.outcome !== 'overridden') fail(`${at}.outcome must be "accepted" or "overridden"`);
    if (typeof item.outcomeTimestamp !== 'string' || Number.isNaN(Date.parse(item.outcomeTimestamp))) fail(`${at}.outcomeTimestamp must be an ISO 8601 instant`);
    const out: FeedbackItem = { card: item.card, outcome: item.outcome, outcomeTimestamp: item.outcomeTimestamp };
    if (item.acceptedSuggestions !== undefined) {
      if (item.outcome !== 'accepted') fail(`${at}.acceptedSuggestions is only for an accepted card`);
      if (!Array.isArray(item.acceptedSuggestions) || !item.acceptedSuggestions.every((s) => typeof s?.id === 'string')) {
        fail(`${at}.acceptedSuggestions must list { "id": ... }`);
      }
      out.acceptedSuggestions = item.acceptedSuggestions.map((s: { id: string }) => ({ id: s.id }));
    }
    if (item.overrideReason !== undefined) {
      if (item.outcome !== 'overridden') fail(`${at}.overrideReason is only for an overridden card`);
      const r = item.overrideReason as Record<string, unknown>;
      if (typeof r !== 'object' || r === null) fail(`${at}.overrideReason must be an object`);
      if (r.userComment !== undefined && (typeof r.userComment !== 'string' || r.userComment.length > 2000)) fail(`${at}.overrideReason.userComment must be text up to 2000 characters`);
      if (r.reason !== undefined && (typeof r.reason !== 'object' || r.reason === null)) fail(`${at}.overrideReason.reason must be a Coding`);
      const reason = r.reason as Record<string, unknown> | undefined;
      out.overrideReason = {
        ...(reason ? { reason: Object.fromEntries(['system', 'code', 'display'].filter((k) => typeof reason[k] === 'string').map((k) => [k, reason[k] as string])) } : {}),
        ...(typeof r.userComment === 'string' ? { userComment: r.userComment } : {}),
      };
    }
    return out;
  });
}
