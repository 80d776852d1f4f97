/**
 * The Lleverage fake in a process of its own, for the synchronous-endpoint bench: the load
 * generator (direct undici and the SDK client alike) must not also be the platform, or the
 * client's own work would slow the platform's answers. Prints its URL; ends when stdin closes.
 */
import { FakeLleverage } from '../test/fakes/lleverage/server.js';

const fake = await new FakeLleverage().start();
fake.endpoints.set('/run', { required: ['text'] });
process.stdout.write(`${fake.url}/run\n`);
process.stdin.resume();
process.stdin.on('end', () => void fake.close().then(() => process.exit(0)));
