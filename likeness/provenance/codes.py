"""C2PA validation status codes in words an auditor, a distributor or a lawyer can act on.

Codes come from the C2PA specification (section 15, "Validation") as reported by c2pa-rs. A code that is
not in the table is still shown, with the SDK's own explanation and a note that the table lacks it.
"""
from __future__ import annotations

NO_MANIFEST = "ManifestNotFound"
# The platform's own code (not the specification's): revoked later than a trusted timestamp shows the file was signed.
REVOKED_AFTER_SIGNING = "likeness.signingCredential.revokedAfterSigning"

EXPLANATIONS: dict[str, str] = {
    # Outcomes of the whole check.
    NO_MANIFEST: "The file carries no Content Credentials (no C2PA manifest). Either it was never signed, or "
                 "the manifest was stripped, for instance by re-encoding, screenshotting or a platform that "
                 "removes metadata. Nothing in the file itself says where it came from; the registry can still "
                 "look for the original by its content fingerprint.",
    "unreadable": "The file could not be read as an image or video the C2PA tools understand, or its manifest is "
                  "damaged beyond reading.",
    # Signature and signer.
    "signingCredential.trusted": "The signing certificate chains to a trusted anchor: the signer is who it says.",
    "signingCredential.untrusted": "The signature is mathematically valid, but the signing certificate does not "
                                   "chain to any anchor this verifier trusts: we cannot say who signed it. For "
                                   "the platform's own outputs this means the file was signed by someone else.",
    "signingCredential.expired": "The signing certificate had expired when this check ran and the file carries "
                                 "no trusted timestamp proving it was signed while the certificate was valid; "
                                 "the signature can no longer be relied on.",
    "signingCredential.revoked": "The signing certificate was revoked by its issuer (its key was compromised or "
                                 "retired) before this file was signed, or no trusted timestamp proves the file "
                                 "was signed before the revocation: do not rely on the file.",
    REVOKED_AFTER_SIGNING: "The signing certificate was revoked after this file was signed; a trusted timestamp "
                           "proves the signature came first, so the file still stands.",
    "signingCredential.invalid": "The signing certificate is malformed or not allowed to sign manifests.",
    "signingCredential.ocsp.skipped": "The certificate's revocation status (OCSP) was not fetched online; this "
                                      "verifier works offline.",
    "signingCredential.ocsp.notRevoked": "The certificate authority confirmed the certificate was not revoked.",
    "claimSignature.validated": "The manifest's signature is valid.",
    "claimSignature.insideValidity": "The manifest was signed while the signing certificate was valid.",
    "claimSignature.outsideValidity": "The manifest was signed outside the signing certificate's validity "
                                      "period.",
    "claimSignature.mismatch": "The manifest's signature does not match its contents: the manifest (what it "
                               "claims was done, by whom) was altered after signing.",
    "claimSignature.missing": "The manifest has no signature.",
    # Timestamps.
    "timeStamp.trusted": "A trusted timestamp authority proves when the file was signed.",
    "timeStamp.validated": "The signature's timestamp is valid.",
    "timeStamp.untrusted": "The signature carries a timestamp from an authority this verifier does not trust.",
    "timeStamp.mismatch": "The timestamp does not match the signature it claims to date.",
    "timeStamp.outsideValidity": "The timestamp falls outside the timestamp authority's certificate validity.",
    # Assertions.
    "assertion.hashedURI.match": "An assertion is exactly as it was signed.",
    "assertion.hashedURI.mismatch": "A statement inside the manifest (an assertion: the actions, the consent or "
                                    "model record, an ingredient) was edited after signing: its hash no longer "
                                    "matches the one the signature covers.",
    "assertion.missing": "The manifest refers to an assertion that is not in the file: part of the manifest was "
                         "removed.",
    "assertion.multipleHardBindings": "The manifest binds to the content more than once, which is not allowed.",
    "assertion.undeclared": "The manifest holds an assertion the signature does not cover.",
    "assertion.inaccessible": "An assertion could not be read.",
    "assertion.notRedacted": "An assertion marked as redacted is still present.",
    "assertion.selfRedacted": "The manifest redacts one of its own assertions, which is not allowed.",
    "assertion.action.ingredientMismatch": "An action names an ingredient the manifest does not hold.",
    "assertion.action.malformed": "An action in the manifest is malformed.",
    "assertion.action.redacted": "An action was redacted, which is not allowed.",
    "assertion.cbor.invalid": "An assertion's data is not valid CBOR: the manifest is damaged.",
    "assertion.json.invalid": "An assertion's data is not valid JSON: the manifest is damaged.",
    "assertion.dataHash.match": "The image or video content is exactly as it was signed.",
    "assertion.dataHash.mismatch": "The content of the file (its pixels or other bytes covered by the "
                                   "signature) changed after signing: this is not the file that was signed.",
    "assertion.dataHash.malformed": "The manifest's content hash is malformed.",
    "assertion.bmffHash.match": "The video content (the MP4 boxes covered by the signature) is exactly as it "
                                "was signed.",
    "assertion.bmffHash.mismatch": "The video's media data changed after signing (frames or boxes of the MP4 "
                                   "were altered, cut or added): this is not the video that was signed.",
    "assertion.bmffHash.malformed": "The manifest's video hash is malformed.",
    "assertion.bmffHash.additionalExclusionsPresent": "The video hash leaves out some MP4 boxes beyond the ones "
                                                      "the standard requires (for instance boxes a muxer may "
                                                      "rewrite). Informational: the frames and audio are still "
                                                      "covered by the signature.",
    "assertion.boxesHash.match": "The file's content boxes are exactly as they were signed.",
    "assertion.boxesHash.mismatch": "Part of the file's content changed after signing.",
    "assertion.collectionHash.mismatch": "A file in the signed collection changed after signing.",
    # Ingredients and the manifest store.
    "ingredient.manifest.validated": "The manifest of an ingredient (e.g. the source plate) is valid.",
    "ingredient.unknownProvenance": "An ingredient (for the platform's outputs: the source plate as filmed) "
                                    "carries no Content Credentials of its own, so its history before this file "
                                    "is unknown. Informational: it does not weaken this file's own signature.",
    "ingredient.manifest.mismatch": "An ingredient's manifest changed after this file was signed.",
    "ingredient.manifest.missing": "An ingredient's manifest referred to by this file is missing.",
    "ingredient.claimSignature.validated": "An ingredient's signature is valid.",
    "ingredient.claimSignature.mismatch": "An ingredient's signature does not match its contents.",
    "ingredient.hashedURI.mismatch": "An ingredient's record was edited after signing.",
    "manifest.inaccessible": "The manifest could not be read.",
    "manifest.multipleParents": "The manifest claims more than one parent, which is not allowed.",
    "manifest.update.invalid": "An update manifest does not follow the rules for updates.",
    "manifest.update.wrongParents": "An update manifest has the wrong parent ingredients.",
    "manifest.timestamp.invalid": "The manifest's time-stamp assertion is invalid.",
    "manifest.timestamp.wrongParents": "The manifest's time-stamp assertion has the wrong parents.",
    "claim.missing": "The manifest holds no claim: it is damaged.",
    "claim.multiple": "The manifest holds more than one claim, which is not allowed.",
    "claim.hardBindings.missing": "The manifest does not bind to the file's content at all: it could be copied "
                                  "onto any file.",
    "claim.malformed": "The claim is malformed.",
    "general.error": "The verifier hit an unexpected error; the result cannot be relied on.",
    "algorithm.unsupported": "The file uses a hash or signature algorithm this verifier does not support.",
    "algorithm.deprecated": "The file uses a deprecated algorithm.",
    # The rest of the specification's codes (section 15), so that no code a reader reports goes unexplained.
    "assertion.accessible": "An assertion stored outside the manifest (in the cloud) was fetched and read.",
    "assertion.outsideManifest": "An assertion is referenced from outside this manifest, which is not allowed.",
    "assertion.action.redactionMismatch": "A redaction action names an assertion that was not redacted, or the "
                                          "other way round.",
    "assertion.boxesHash.unknownBox": "The file holds a box the signed content hash does not account for: "
                                      "something was added to the file after signing.",
    "assertion.boxesHash.unknownBoxes": "The file holds boxes the signed content hash does not account for: "
                                        "something was added to the file after signing.",
    "assertion.cloud-data.actions": "An actions assertion is stored in the cloud, which is not allowed.",
    "assertion.cloud-data.hardBinding": "The content hash is stored in the cloud, which is not allowed: it must "
                                        "be in the file's own manifest.",
    "assertion.cloud-data.malformed": "An assertion stored in the cloud is malformed.",
    "assertion.collectionHash.match": "Every file of the signed collection is exactly as it was signed.",
    "assertion.collectionHash.incorrectFileCount": "The signed collection holds more or fewer files than were "
                                                   "signed.",
    "assertion.collectionHash.invalidURI": "The signed collection names a file by an address that is not "
                                           "allowed.",
    "assertion.collectionHash.malformed": "The signed collection's hash is malformed.",
    "assertion.ingredient.malformed": "An ingredient record (for the platform's outputs: the source plate) is "
                                      "malformed.",
    "assertion.metadata.disallowed": "A metadata assertion holds fields the specification does not allow "
                                     "there.",
    "claim.cbor.invalid": "The claim (the signed list of what the manifest says) is not valid CBOR: the "
                          "manifest is damaged.",
    "hashedURI.mismatch": "A reference inside the manifest no longer matches what it points to: part of the "
                          "manifest was edited after signing.",
    "hashedURI.missing": "A reference inside the manifest points to something that is not there: part of the "
                         "manifest was removed.",
    "ingredient.claimSignature.missing": "An ingredient's manifest has no signature.",
    "manifest.compressed.invalid": "A compressed manifest could not be decompressed: it is damaged.",
    "manifest.unknownProvenance": "The manifest's own history cannot be established (its parent carries no "
                                  "Content Credentials).",
    "manifest.unreferenced": "The store holds a manifest that no other manifest refers to.",
    "signingCredential.ocsp.inaccessible": "The certificate authority's revocation service (OCSP) could not be "
                                           "reached, so revocation is unknown from it.",
    "signingCredential.ocsp.revoked": "The certificate authority's revocation service (OCSP) says the signing "
                                      "certificate was revoked: do not rely on the file.",
    "signingCredential.ocsp.unknown": "The certificate authority's revocation service (OCSP) does not know the "
                                      "signing certificate.",
    "timeStamp.malformed": "The signature's timestamp could not be read, so it proves nothing: the file counts "
                           "as untimestamped (it turns Invalid once its certificate expires).",
}

SUCCESS_STATES = ("Trusted", "Valid")


def explain(code: str, sdk_explanation: str = "") -> str:
    text = EXPLANATIONS.get(code)
    if text:
        return text
    fallback = sdk_explanation or "no further detail"
    return f"{fallback} (code {code} is not in the platform's table of explanations)"


# What each overall state means, for the top of a report.
STATE_EXPLANATIONS = {
    "Trusted": "Content Credentials are intact and the signer is trusted (chains to the anchors in use).",
    "Valid": "Content Credentials are intact, but the signer is not trusted by this verifier: the file says "
             "what was done, but we cannot confirm who signed it.",
    "Revoked": "Content Credentials are intact, but the certificate that signed them had been revoked when the file "
               "was signed (see the date below): someone may have used a compromised or retired key.",
    "Invalid": "Content Credentials are present but broken: the file or its manifest changed after signing, or "
               "the signing credential is not acceptable. See the failure codes.",
    "NoManifest": EXPLANATIONS[NO_MANIFEST],
    "Unreadable": EXPLANATIONS["unreadable"],
}
