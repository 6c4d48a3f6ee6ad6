/**
 * The files agencies deploy with (deploy/). The Kubernetes manifest is validated against the
 * Kubernetes OpenAPI schema shipped by `kubernetes-models` (types, enums, required fields; it does
 * not reject unknown fields). The container image is not built here (no Docker daemon). The
 * systemd units are verified with `systemd-analyze verify` when it is available.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { CronJob } from 'kubernetes-models/batch/v1';
import { PersistentVolumeClaim } from 'kubernetes-models/v1';
import { tempDir } from '../helpers/cli.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const read = (p: string) => fs.readFileSync(path.join(ROOT, 'deploy', p), 'utf8');

// Kubernetes' schema for each kind the manifest holds; a kind missing here fails the test.
const MODELS: Record<string, new (data: Obj) => { validate(): void }> = {
  CronJob: CronJob as never,
  PersistentVolumeClaim: PersistentVolumeClaim as never,
};
const validate = (doc: Obj) => {
  const Model = MODELS[doc.kind];
  if (!Model) throw new Error(`no schema for kind ${String(doc.kind)}`);
  new Model(doc).validate();
};

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('deploy/', () => {
  it('Dockerfile: Node 20 slim, the CLI as entrypoint, the state dir as a volume, not root', () => {
    const text = read('Dockerfile');
    const from = [...text.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    expect(from.every((f) => f === 'node:20-slim')).toBe(true);
    expect(text).toMatch(/^ENTRYPOINT \["node", "\/app\/bin\/invsync\.js", "-c", "\/etc\/invsync\/invsync\.config\.json"\]$/m);
    expect(text).toMatch(/^VOLUME \["\/var\/lib\/invsync"\]$/m);
    expect(text).toMatch(/^USER node$/m);
  });

  it('Kubernetes CronJob: never overlaps, state on a persistent volume claim, credentials from a Secret as env', () => {
    const docs = yaml.loadAll(read('kubernetes/cronjob.yaml')) as Obj[];
    const pvc = docs.find((d) => d.kind === 'PersistentVolumeClaim')!;
    const cron = docs.find((d) => d.kind === 'CronJob')!;
    expect([pvc.apiVersion, cron.apiVersion]).toEqual(['v1', 'batch/v1']);
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(cron.spec.schedule).toMatch(/^(\S+ ){4}\S+$/);
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(['Never', 'OnFailure']).toContain(pod.restartPolicy);
    const [container] = pod.containers;
    expect(container.args).toEqual(['full']);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'invsync-shop-a' } }]);
    const state = pod.volumes.find((v: Obj) => v.persistentVolumeClaim);
    expect(state.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    expect(container.volumeMounts).toContainEqual({ name: state.name, mountPath: '/var/lib/invsync' });
    expect(container.volumeMounts).toContainEqual({ name: 'config', mountPath: '/etc/invsync', readOnly: true });
  });

  it('Kubernetes manifest: every document is valid against the Kubernetes schema (and the check does reject a wrong one)', () => {
    const docs = yaml.loadAll(read('kubernetes/cronjob.yaml')) as Obj[];
    expect(docs.map((d) => d.kind)).toEqual(['PersistentVolumeClaim', 'CronJob']);
    for (const doc of docs) expect(() => validate(doc)).not.toThrow();
    const cron = structuredClone(docs[1]);
    cron.spec.concurrencyPolicy = 'Never';
    expect(() => validate(cron)).toThrow(/concurrencyPolicy must be equal to one of the allowed values/);
    const pvc = structuredClone(docs[0]);
    pvc.spec.resources.requests.storage = { size: '1Gi' };
    expect(() => validate(pvc)).toThrow(/storage/);
  });

  it('systemd template: invsync@.service (oneshot, per-instance config, env file, state dir) and invsync@.timer', () => {
    const service = read('systemd/invsync@.service');
    const timer = read('systemd/invsync@.timer');
    expect(service).toMatch(/^Type=oneshot$/m);
    expect(service).toMatch(/^ExecStart=invsync -c \/etc\/invsync\/%i\.json full$/m);
    expect(service).toMatch(/^EnvironmentFile=\/etc\/invsync\/%i\.env$/m);
    expect(service).toMatch(/^StateDirectory=invsync\/%i$/m);
    expect(timer).toMatch(/^Unit=invsync@%i\.service$/m);
    expect(timer).toMatch(/^Persistent=true$/m);
    let analyze = true;
    try { execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' }); } catch { analyze = false; }
    if (!analyze) return;
    // Verified as an instance, with the binary (not installed here) stubbed.
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'invsync@shop-a.service'), service.replace('ExecStart=invsync', 'ExecStart=true'));
    fs.writeFileSync(path.join(dir, 'invsync@shop-a.timer'), timer);
    execFileSync('systemd-analyze', ['verify', path.join(dir, 'invsync@shop-a.service'), path.join(dir, 'invsync@shop-a.timer')], { stdio: 'pipe' });
  });
});
