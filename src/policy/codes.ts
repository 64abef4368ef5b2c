const NDC = 'http://hl7.org/fhir/sid/ndc';

/**
 * The code systems that identify a drug product: RxNorm, NDC and HCPCS (both URIs in use). A
 * medication coded in one of them is known by its code, never by its name.
 */
export const DRUG_CODE_SYSTEMS: ReadonlySet<string> = new Set([
  'http://www.nlm.nih.gov/research/umls/rxnorm',
  NDC,
  'http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
  'https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets',
]);

/**
 * NDC in the 11-digit 5-4-2 form. A hyphenated 10-digit code (4-4-2, 5-3-2 or 5-4-1) is padded
 * in the short segment; an unhyphenated 11-digit code is split. Anything else is returned as is.
 */
export function normalizeNdc(code: string): string {
  const parts = code.trim().split('-');
  if (parts.length === 3 && parts.every((p) => /^\d+$/.test(p))) {
    const [a, b, c] = parts as [string, string, string];
    return `${a.padStart(5, '0')}-${b.padStart(4, '0')}-${c.padStart(2, '0')}`;
  }
  const digits = code.replace(/\D/g, '');
  if (digits.length === 11 && /^\d+$/.test(code.trim()))
    return `${digits.slice(0, 5)}-${digits.slice(5, 9)}-${digits.slice(9)}`;
  return code.trim();
}

/** A coding as a "system|code" key, NDC normalised; null when either part is missing. */
export function codeKey(system: unknown, code: unknown): string | null {
  if (typeof system !== 'string' || typeof code !== 'string' || !system || !code) return null;
  return system === NDC ? `${NDC}|${normalizeNdc(code)}` : `${system}|${code.trim()}`;
}

/** Trigger code keys of a policy, with NDCs normalised like order codes are. */
export function triggerKeys(codes: { system: string; code: string }[]): Set<string> {
  return new Set(
    codes.map((c) => codeKey(c.system, c.code)).filter((k): k is string => k !== null),
  );
}
