// The phone's card in IndexedDB: the non-extractable key pair, the bound certificate and
// the measured clock offset, one record per card page. Writes ask for "strict"
// durability: a killed tab must not lose the key the card is bound to.

const DB_NAME = "huicui-holder";
const STORE = "cards";

function open() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function run(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode, { durability: "strict" });
      const req = action(tx.objectStore(STORE));
      let result;
      req.onsuccess = () => {
        result = req.result;
      };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/** The card record for `page` (the card page's path), or undefined. */
export function loadCard(page) {
  return run("readonly", (store) => store.get(page));
}

/** Keep `card` ({keys, bound, keyHash, exp, offsetMs, ...}) for `page`. */
export function saveCard(page, card) {
  return run("readwrite", (store) => store.put(card, page));
}
