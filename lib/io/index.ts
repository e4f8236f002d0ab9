export { writeFileAtomic, writeFileAtomicSync } from "./atomic";
