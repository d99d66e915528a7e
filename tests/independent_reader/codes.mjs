// Every validation status code c2pa-ts knows (its ValidationStatusCode enum, written from the specification).
import { ValidationStatusCode } from '@trustnxt/c2pa-ts/manifest';
console.log(JSON.stringify(Object.values(ValidationStatusCode).sort()));
