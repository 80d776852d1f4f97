// A module workflow whose whole input is a `oneOf` of objects told apart by `channel`: the shape
// that LangChain's and OpenAI's converters reject or mangle unless the server lists the portable
// form. The server still validates against this schema before the run starts.
export default {
  name: 'Send Notice',
  description: 'Prepares a notice for one channel (email, sms or webhook) and returns what would be delivered; nothing is really sent.',
  version: 1,
  input: {
    oneOf: [
      {
        type: 'object',
        properties: {
          channel: { const: 'email' },
          to: { type: 'string', format: 'email' },
          subject: { type: 'string', minLength: 1 },
          body: { type: 'string' },
        },
        required: ['channel', 'to', 'subject'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: {
          channel: { const: 'sms' },
          phone: { type: 'string', pattern: '^\\+[0-9]{6,15}$', description: 'In international form, e.g. +31612345678.' },
          text: { type: 'string', maxLength: 160 },
        },
        required: ['channel', 'phone', 'text'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: {
          channel: { const: 'webhook' },
          url: { type: 'string', format: 'uri' },
          send_after: { type: 'string', format: 'date-time' },
        },
        required: ['channel', 'url'],
        additionalProperties: false,
      },
    ],
  },
  run(input) {
    switch (input.channel) {
      case 'email':
        return { channel: 'email', to: input.to, preview: `${input.subject}: ${(input.body ?? '').slice(0, 40)}` };
      case 'sms':
        return { channel: 'sms', to: input.phone, preview: input.text, segments: Math.ceil(input.text.length / 160) || 1 };
      default:
        return { channel: 'webhook', to: input.url, preview: `POST ${input.url}${input.send_after ? ` after ${input.send_after}` : ''}` };
    }
  },
};
