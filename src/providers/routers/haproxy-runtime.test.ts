import { describe, expect, it } from 'vitest';
import {
  commandSucceeded,
  compareState,
  parseServersState,
  planRestore,
  planRuntime,
  type ServerState,
  toBackends,
} from './haproxy-runtime.js';

const SHOW = `1
# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port
3 app 1 blue 127.0.0.1 2 0 100 100 0 1 0 2 0 0 0 0 - 19001 - 0 0 - - 0
3 app 2 green 127.0.0.1 0 5 0 0 0 1 0 0 8 0 0 0 - 19002 - 0 0 - - 0
3 app 3 named - 0 1 5 5 3 1 0 0 0 0 0 0 web1 19003 - 0 0 - - 0

`;

const blue: ServerState = { name: 'blue', address: '127.0.0.1', port: 19001, weight: 100, admin: 0 };
const green: ServerState = { name: 'green', address: '127.0.0.1', port: 19002, weight: 0, admin: 5 };

describe('parseServersState', () => {
  it('reads the columns by the header', () => {
    expect(parseServersState(SHOW)).toEqual([
      blue,
      green,
      { name: 'named', address: null, port: 19003, weight: 5, admin: 1 },
    ]);
  });

  it("throws haproxy's answer when it is not a state dump", () => {
    expect(() => parseServersState("Can't find backend.\n")).toThrow("Can't find backend.");
    expect(() => parseServersState('')).toThrow('an empty answer');
  });

  it('reports maintenance and drain as weight 0', () => {
    expect(
      toBackends([blue, green, { ...blue, name: 'd', admin: 8 }, { ...blue, name: 'c', admin: 4 }]),
    ).toEqual([
      { name: 'blue', address: '127.0.0.1', port: 19001, weight: 100 },
      { name: 'green', address: '127.0.0.1', port: 19002, weight: 0 },
      { name: 'd', address: '127.0.0.1', port: 19001, weight: 0 },
      { name: 'c', address: '127.0.0.1', port: 19001, weight: 100 },
    ]);
  });
});

const want = (name: string, port: number, weight: number, ip = '127.0.0.1') => ({
  name,
  address: ip,
  ip,
  port,
  weight,
});

describe('planRuntime', () => {
  it('enables the new colour before it takes the old one out', () => {
    expect(planRuntime('app', [blue, green], [want('blue', 19001, 0), want('green', 19002, 100)])).toEqual([
      'set weight app/green 100',
      'set server app/green state ready',
      'set server app/blue state maint',
    ]);
  });

  it('sends nothing when the backend already serves what is asked', () => {
    expect(planRuntime('app', [blue, green], [want('blue', 19001, 100), want('green', 19002, 0)])).toEqual(
      [],
    );
  });

  it('adds servers it lacks, moves ones whose address changed, and retires unlisted ones', () => {
    expect(
      planRuntime(
        'app',
        [blue, green],
        [want('blue', 19005, 30), want('new', 19006, 70, '::1'), want('spare', 19007, 0)],
      ),
    ).toEqual([
      'set server app/blue addr 127.0.0.1 port 19005',
      'set weight app/blue 30',
      'add server app/new [::1]:19006 weight 70',
      'set weight app/new 70',
      'set server app/new state ready',
      'add server app/spare 127.0.0.1:19007 weight 0',
      'del server app/green',
    ]);
  });

  it('enables a draining server', () => {
    expect(planRuntime('app', [{ ...blue, admin: 8 }], [want('blue', 19001, 100)])).toEqual([
      'set server app/blue state ready',
    ]);
  });
});

describe('planRestore', () => {
  it('puts addresses, weights and states back and removes added servers', () => {
    const after: ServerState[] = [
      { ...blue, port: 19009, weight: 10, admin: 1 },
      { ...green, weight: 100, admin: 4 },
      { name: 'new', address: '127.0.0.1', port: 19006, weight: 70, admin: 0 },
    ];
    expect(planRestore('app', [blue, green], after)).toEqual([
      'set server app/blue addr 127.0.0.1 port 19001',
      'set weight app/blue 100',
      'set server app/blue state ready',
      'set server app/green state maint',
      'set weight app/green 0',
      'set server app/new state maint',
      'del server app/new',
    ]);
    expect(planRestore('app', [blue, green], [blue, green])).toEqual([]);
  });
});

describe('commandSucceeded', () => {
  it("knows each command's success answer", () => {
    expect(commandSucceeded('set weight app/a 5', '\n')).toBe(true);
    expect(commandSucceeded('set weight app/a 5', 'No such server.\n')).toBe(false);
    expect(commandSucceeded('add server app/a 1.2.3.4:5 weight 1', 'New server registered.\n')).toBe(true);
    expect(
      commandSucceeded('add server app/a 1.2.3.4:5 weight 1', 'Already exists a server with the same name.'),
    ).toBe(false);
    expect(commandSucceeded('del server app/a', 'Server deleted.\n')).toBe(true);
    expect(
      commandSucceeded('set server app/a addr 1.2.3.4 port 5', "IP changed from '1.1.1.1' to '1.2.3.4'"),
    ).toBe(true);
  });
});

describe('compareState', () => {
  it('is empty when haproxy serves what was asked', () => {
    expect(compareState([want('blue', 19001, 100), want('green', 19002, 0)], [blue, green])).toEqual([]);
  });

  it('names every difference', () => {
    expect(
      compareState(
        [want('blue', 19001, 50), want('green', 19003, 0), want('gone', 1, 1)],
        [blue, { ...green, port: 19002, admin: 0 }, { ...blue, name: 'extra' }],
      ),
    ).toEqual([
      'blue serves with weight 100, not 50',
      'green points at 127.0.0.1:19002, not 127.0.0.1:19003',
      'green is in rotation, not in maintenance',
      'gone is missing',
      'extra is not listed but still in rotation',
    ]);
  });
});
