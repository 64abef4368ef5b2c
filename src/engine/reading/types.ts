/** The shapes of the text readers (data rules v2, "How text is read"). */

export type Call = 'positive' | 'negative' | 'ambiguous';

export interface TextReading {
  call: Call;
  /** the clause(s) that decided, trimmed, as written */
  quote: string;
}

export interface MarkerSpec {
  /** e.g. 'CD19' or 'KMT2A' */
  name: string;
  /** every way the text may name it, e.g. ['CD19'] or ['KMT2A', 'MLL', '11q23'] */
  aliases: string[];
  /** 'antigen' (flow cytometry / IHC marker) or 'rearrangement' (a gene rearrangement by FISH/PCR/NGS) */
  kind: 'antigen' | 'rearrangement';
}

export type Kind = MarkerSpec['kind'];

export type Comparator = '<' | '<=' | '>' | '>=';

export type MrdReading =
  | { call: 'negative'; quote: string }
  | { call: 'percent'; value: number; comparator?: Comparator; quote: string }
  | { call: 'unreadable'; quote: string };

export interface RegimenReading {
  call: 'affirmed' | 'negated';
  quote: string;
}
