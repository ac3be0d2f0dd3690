import { describe } from 'node:test';
import { storeContract } from '../store/store-contract.js';
import { mysqlDb } from './helpers.js';

const db = mysqlDb('store');
describe('mysql store', () => storeContract('mysql', async () => { await db.drop(); return db.url; }, () => db.drop()));
