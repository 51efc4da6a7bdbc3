// Prints the demo logins of a demo database (DB.accounts.json) as a short table for `make run`.
import { readFileSync } from 'node:fs';

const accounts = JSON.parse(readFileSync(process.argv[2], 'utf8'));
console.log('demo logins (role, username, password, organisation):');
for (const a of accounts) {
  const totp = a.totp_secret ? `  TOTP secret ${a.totp_secret}` : '';
  console.log(`  ${a.role.padEnd(16)} ${a.username.padEnd(10)} ${a.password.padEnd(18)} ${a.organisation}${totp}`);
}
console.log('Accounts with a TOTP secret (the administrators, and the leader, who may unmask personal data) also');
console.log('need a 6-digit code: add the TOTP secret to any authenticator app.');
console.log('The others log in with the password alone; "operator" sees the most of the demo city.');
