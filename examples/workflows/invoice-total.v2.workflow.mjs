// Version 2 of the same workflow (same name, higher version): adds VAT and a currency.
// The plain tool runs the latest version; local_invoice_total_v1 keeps the old one callable.
export default {
  name: 'Invoice Total',
  description: 'Adds up invoice lines (quantity × unit price), applies VAT and returns net, VAT and gross amounts.',
  version: 2,
  input: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      lines: {
        type: 'array',
        minItems: 1,
        items: { $ref: '#/$defs/line' },
      },
      vat_percent: { type: 'number', minimum: 0, maximum: 100, default: 21 },
      currency: { type: 'string', enum: ['EUR', 'USD', 'GBP'], default: 'EUR' },
    },
    required: ['lines'],
    additionalProperties: false,
    $defs: {
      line: {
        type: 'object',
        properties: { description: { type: 'string' }, qty: { type: 'number', minimum: 0 }, price: { type: 'number', minimum: 0 } },
        required: ['qty', 'price'],
        additionalProperties: false,
      },
    },
  },
  run({ lines, vat_percent, currency }) {
    const cents = (n) => Math.round(n * 100) / 100;
    const net = lines.reduce((sum, l) => sum + l.qty * l.price, 0);
    const vat = (net * vat_percent) / 100;
    return { currency, net: cents(net), vat: cents(vat), gross: cents(net + vat), lines: lines.length };
  },
};
