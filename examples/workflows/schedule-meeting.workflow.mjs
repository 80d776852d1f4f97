// A module workflow with a richer JSON Schema, the kind agent frameworks convert differently:
// nested objects, `$defs`/`$ref`, enums, `format: date-time`, defaults and a `oneOf` of objects.
// The server validates every call against this schema as written; `schemas: "portable"` lists a
// form that weak converters accept (see the README, "Agent frameworks").
export default {
  name: 'Schedule Meeting',
  description: 'Plans a meeting: checks the time window, picks the place (a room or an online link) and returns the invitation that would be sent.',
  version: 1,
  input: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    properties: {
      title: { type: 'string', minLength: 1, description: 'What the meeting is about.' },
      starts_at: { type: 'string', format: 'date-time', description: 'Start time (ISO 8601, with a time zone).' },
      minutes: { type: 'integer', minimum: 5, maximum: 480, default: 30 },
      organizer: { $ref: '#/$defs/person' },
      attendees: { type: 'array', items: { $ref: '#/$defs/person' }, minItems: 1 },
      priority: { type: 'string', enum: ['low', 'normal', 'high'], default: 'normal' },
      place: {
        description: 'Where the meeting happens: a room, or an online call.',
        oneOf: [
          {
            type: 'object',
            properties: { kind: { const: 'room' }, building: { type: 'string' }, room: { type: 'string' } },
            required: ['kind', 'room'],
            additionalProperties: false,
          },
          {
            type: 'object',
            properties: { kind: { const: 'online' }, url: { type: 'string', format: 'uri' }, dial_in: { type: 'boolean', default: false } },
            required: ['kind', 'url'],
            additionalProperties: false,
          },
        ],
      },
    },
    required: ['title', 'starts_at', 'organizer', 'attendees', 'place'],
    additionalProperties: false,
    $defs: {
      person: {
        type: 'object',
        properties: {
          name: { type: 'string', minLength: 1 },
          email: { type: 'string', format: 'email' },
          role: { type: 'string', enum: ['required', 'optional'], default: 'required' },
        },
        required: ['name', 'email'],
        additionalProperties: false,
      },
    },
  },
  run(input, ctx) {
    ctx.progress('checking the time window');
    const start = new Date(input.starts_at);
    const end = new Date(start.getTime() + input.minutes * 60_000);
    const where = input.place.kind === 'room' ? `room ${input.place.room}${input.place.building ? `, ${input.place.building}` : ''}` : input.place.url;
    return {
      title: input.title,
      starts_at: start.toISOString(),
      ends_at: end.toISOString(),
      where,
      priority: input.priority,
      invited: [input.organizer, ...input.attendees].map((p) => `${p.name} <${p.email}>${p.role === 'optional' ? ' (optional)' : ''}`),
    };
  },
};
