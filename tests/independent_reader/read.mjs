// An independent C2PA reader for the test suite: @trustnxt/c2pa-ts, a pure-TypeScript implementation that
// shares no code with c2pa-rs (which the platform signs and verifies with). Prints one JSON object per file:
//   node read.mjs FILE...
// {file, format, manifest: bool, valid, codes: [{code, success}], active: {label, assertions: [labels],
//  actions: [...], ingredients: [...], custom: {label: data}}, error}
// It has no trust-anchor option: the chain of trust is checked with `openssl verify` by the tests.
import * as fs from 'node:fs/promises';
import { BMFF, JPEG, PNG } from '@trustnxt/c2pa-ts/asset';
import { SuperBox } from '@trustnxt/c2pa-ts/jumbf';
import { ManifestStore } from '@trustnxt/c2pa-ts/manifest';
import { Signature, TimestampVersion } from '@trustnxt/c2pa-ts/cose';
import * as pkijs from 'pkijs';

// The reader accepts ISO BMFF files only under HEIF brands; the platform's MP4 files carry MP4 brands.
for (const brand of ['isom', 'iso2', 'mp41', 'mp42', 'avc1', 'qt  ']) BMFF.canReadBrands.add(brand);

// C2PA 2.x stores each sigTst2 token as a TimeStampToken (a CMS ContentInfo), as c2pa-rs writes it; c2pa-ts
// 0.9.4 parses it only as a whole TimeStampResp and calls the file's timestamp malformed (fixed upstream in
// TrustNXT/c2pa-ts#546, "accept both", not yet released on npm). Accept both here, as that fix does.
const der = (tag, body) => {
    const len = body.length < 128 ? [body.length]
        : body.length < 256 ? [0x81, body.length] : [0x82, body.length >> 8, body.length & 0xff];
    return Uint8Array.from([tag, ...len, ...body]);
};
const readTimestamps = Signature.readTimestamps;
Signature.readTimestamps = function* (container, version) {
    if (version !== TimestampVersion.V2 || !container?.tstTokens?.length) {
        yield* readTimestamps.call(this, container, version);
        return;
    }
    for (const token of container.tstTokens) {
        let response;
        try {
            response = pkijs.TimeStampResp.fromBER(token.val);
        } catch {
            const granted = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x00]);  // PKIStatusInfo { status granted }
            response = pkijs.TimeStampResp.fromBER(der(0x30, [...granted, ...token.val]));
        }
        yield { version, response };
    }
};

const plain = (value) => JSON.parse(JSON.stringify(value, (_key, v) =>
    (typeof v === 'bigint' ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v)));

async function read(file) {
    const buf = new Uint8Array(await fs.readFile(file));
    const out = { file, format: null, manifest: false, valid: false, codes: [], active: null, error: null };
    let asset;
    if (JPEG.canRead(buf)) { asset = new JPEG(buf); out.format = 'jpeg'; }
    else if (PNG.canRead(buf)) { asset = new PNG(buf); out.format = 'png'; }
    else if (BMFF.canRead(buf)) { asset = new BMFF(buf); out.format = 'bmff'; }
    else { out.error = 'unknown file format'; return out; }
    const jumbf = asset.getManifestJUMBF();
    if (!jumbf) return out;
    out.manifest = true;
    try {
        const store = ManifestStore.read(SuperBox.fromBuffer(jumbf));
        const result = await store.validate(asset);
        out.valid = result.isValid;
        out.codes = result.statusEntries.map((e) => ({ code: e.code, success: e.success }));
        const active = store.getActiveManifest();
        const assertions = active?.assertions?.assertions ?? [];
        out.active = {
            label: active?.label ?? null,
            assertions: assertions.map((a) => a.label),
            actions: plain(assertions.filter((a) => a.label?.startsWith('c2pa.actions')).flatMap((a) => a.actions ?? [])),
            ingredients: plain(assertions.filter((a) => a.label?.startsWith('c2pa.ingredient'))
                .map((a) => ({ title: a.title, relationship: a.relationship, metadata: a.metadata }))),
            custom: Object.fromEntries(assertions.filter((a) => a.label?.startsWith('org.likeness-platform'))
                // Assertions it has no class for keep their box: the first content box holds the decoded CBOR.
                .map((a) => [a.label, plain(a.sourceBox?.contentBoxes?.[0]?.content ?? null)])),
        };
    } catch (e) {
        out.error = String(e?.message ?? e);
    }
    return out;
}

for (const file of process.argv.slice(2)) console.log(JSON.stringify(await read(file)));
