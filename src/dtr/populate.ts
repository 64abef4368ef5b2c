import type {
  QuestionnaireItem,
  QuestionnaireResponse,
  QuestionnaireResponseItem,
  QuestionnaireResponseItemAnswer,
} from 'fhir/r4';
import type { DocumentationForm } from './questionnaire';

export const INFORMATION_ORIGIN =
  'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/information-origin';
export const QR_PROFILE =
  'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/dtr-questionnaireresponse';

/** An answer the payer's logic filled in (DTR information-origin auto-server). */
const AUTO = {
  url: INFORMATION_ORIGIN,
  extension: [{ url: 'source', valueCode: 'auto-server' }],
};

/** The answer for a pre-population value (a code or text of an option, a date, a number), or none. */
function answerFor(
  item: QuestionnaireItem,
  value: unknown,
): QuestionnaireResponseItemAnswer | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  switch (item.type) {
    case 'choice': {
      const option = item.answerOption?.find(
        (o) => o.valueCoding?.code === value || o.valueString === value,
      );
      if (option?.valueCoding) return { valueCoding: option.valueCoding };
      if (option?.valueString !== undefined) return { valueString: option.valueString };
      return undefined;
    }
    case 'date':
      return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? { valueDate: value }
        : undefined;
    case 'decimal':
      return typeof value === 'number' && Number.isFinite(value)
        ? { valueDecimal: value }
        : undefined;
    case 'integer':
      return Number.isInteger(value) ? { valueInteger: value as number } : undefined;
    case 'string':
      return typeof value === 'string' ? { valueString: value } : undefined;
    default:
      return undefined;
  }
}

function itemsOf(
  items: QuestionnaireItem[] | undefined,
  form: DocumentationForm,
  values: Record<string, unknown>,
): QuestionnaireResponseItem[] {
  const out: QuestionnaireResponseItem[] = [];
  for (const item of items ?? []) {
    if (item.type === 'group') {
      // A repeating group is what the clinician adds (therapy given elsewhere): never pre-filled.
      const children = item.repeats ? [] : itemsOf(item.item, form, values);
      if (children.length > 0)
        out.push({
          linkId: item.linkId,
          ...(item.text ? { text: item.text } : {}),
          item: children,
        });
      continue;
    }
    const definition = form.initial.get(item.linkId);
    const answer = definition ? answerFor(item, values[definition]) : undefined;
    if (answer)
      out.push({
        linkId: item.linkId,
        ...(item.text ? { text: item.text } : {}),
        answer: [{ ...answer, extension: [AUTO] }],
      });
  }
  return out;
}

/**
 * The form opened on a record: an in-progress QuestionnaireResponse whose answers are the
 * pre-population library's values (`values`, by definition name), each marked as filled by the
 * payer's logic; an item the record says nothing about is left out (blank).
 */
export function populatedResponse(
  form: DocumentationForm,
  values: Record<string, unknown>,
  context: { patientId: string; order?: string; coverage?: string; authored: string },
): QuestionnaireResponse {
  return {
    resourceType: 'QuestionnaireResponse',
    meta: { profile: [QR_PROFILE] },
    extension: [
      ...(context.coverage
        ? [
            {
              url: 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/qr-coverage',
              valueReference: { reference: context.coverage },
            },
          ]
        : []),
      ...(context.order
        ? [
            {
              url: 'http://hl7.org/fhir/us/davinci-dtr/StructureDefinition/qr-context',
              valueReference: { reference: context.order },
            },
          ]
        : []),
    ],
    questionnaire: form.canonical,
    status: 'in-progress',
    subject: { reference: `Patient/${context.patientId}` },
    authored: context.authored,
    item: itemsOf(form.questionnaire.item, form, values),
  };
}
