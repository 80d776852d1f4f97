// A module that imports nothing, with a plain JSON Schema. Version 1: sums the lines.
export default {
  name: 'Invoice Total',
  description: 'Adds up invoice lines (quantity × unit price) and returns the total.',
  version: 1,
  input: {
    type: 'object',
    properties: {
      lines: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          properties: { description: { type: 'string' }, qty: { type: 'number', minimum: 0 }, price: { type: 'number', minimum: 0 } },
          required: ['qty', 'price'],
          additionalProperties: false,
        },
      },
    },
    required: ['lines'],
    additionalProperties: false,
  },
  run({ lines }) {
    const total = lines.reduce((sum, l) => sum + l.qty * l.price, 0);
    return { total: Math.round(total * 100) / 100, lines: lines.length };
  },
};
